// Package ctrl is wharf's one controller runtime: the machinery every
// background loop of the control plane runs on, so that each controller is
// only a sync function and the sources of its keys.
//
// It owns:
//
//   - Queue: a keyed, rate-limited work queue with the semantics of
//     Kubernetes' workqueue (Add dedups; a key being processed is never
//     handed out twice and, re-added meanwhile, comes back after Done;
//     AddRateLimited backs off per key until Forget; AddAfter; ShutDown).
//
//   - Sources that put keys on a queue: Informer (a store watch from a
//     listed revision, relisting after a failed watch with backoff, and a
//     periodic resync), Every (a timer) and Signal (a channel).
//
//   - Controller: N workers calling Sync(ctx, key); an error requeues the
//     key with backoff, success forgets its failures, a key that keeps
//     failing is dropped (with a log line) until a source adds it again.
//
//   - Supervisor: runs every controller for the server's lifetime,
//     restarting one whose Run failed, with backoff.
//
//   - Clock: the time source, injected (FakeClock) in tests.
//
// How keys flow:
//
//	store ──watch──▶ Informer ─┐
//	timer ─────────▶ Every ────┼─▶ Queue ──▶ workers ──▶ Sync(ctx, key)
//	API nudge ─────▶ Signal ───┘     ▲                       │ error
//	                                 └──── AddRateLimited ◀──┘
//
// Controllers never call each other: they read and write the store and
// react to it. ctrl imports only store and the standard library; it must
// not import awsapi, state, model or any controller.
package ctrl
