package agent

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/wharfhq/wharf/agent/runner"
	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
)

// reporter sends task statuses to the control plane. Runners hand it their
// latest status and never wait: it keeps only the newest per task (the
// control plane's state only moves forward, so the newest says it all) and
// retries until the control plane has it.
//
// Up to reportSenders statuses of different tasks are on their way at
// once, never two of one task (so they arrive in order). One at a time,
// a burst's fifty RUNNING reports would each wait for the previous one's
// store commit; sent together, the control plane's store commits those
// that arrive together at once (its group commit), and the last task of
// the burst is RUNNING for its clients that much sooner.
type reporter struct {
	send func(ctx context.Context, st agentproto.TaskStatus) error
	log  *slog.Logger

	mu       sync.Mutex
	next     map[string]agentproto.TaskStatus // the newest unsent status, by task ARN
	queue    []string                         // the ARNs in next, oldest first
	inflight map[string]bool                  // tasks with a status being sent
	wake     chan struct{}
}

// reportSenders bounds the statuses being sent at once: enough for the
// control plane to commit a burst's reports together, few enough not to
// crowd its other clients.
const reportSenders = 8

func newReporter(cl *client, log *slog.Logger) *reporter {
	r := newReporterWith(nil, log)
	r.send = func(ctx context.Context, st agentproto.TaskStatus) error { return sendStatus(ctx, cl, st) }
	return r
}

func newReporterWith(send func(context.Context, agentproto.TaskStatus) error, log *slog.Logger) *reporter {
	return &reporter{send: send, log: log, next: map[string]agentproto.TaskStatus{}, inflight: map[string]bool{},
		wake: make(chan struct{}, reportSenders)}
}

// put queues st, replacing any unsent status of the same task.
func (r *reporter) put(st agentproto.TaskStatus) {
	if st.LastStatus == model.TaskRunning {
		trace(st.TaskARN, "running.put")
	}
	r.mu.Lock()
	if _, queued := r.next[st.TaskARN]; !queued {
		r.queue = append(r.queue, st.TaskARN)
	}
	r.next[st.TaskARN] = st
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default: // every sender is awake already
	}
}

// take removes the oldest queued status of a task with none in flight and
// marks its task in flight.
func (r *reporter) take() (agentproto.TaskStatus, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, arn := range r.queue {
		if r.inflight[arn] {
			continue
		}
		st := r.next[arn]
		delete(r.next, arn)
		r.queue = append(r.queue[:i:i], r.queue[i+1:]...)
		r.inflight[arn] = true
		return st, true
	}
	return agentproto.TaskStatus{}, false
}

// sent ends st's flight; a failed st goes back unless a newer status of
// its task arrived meanwhile.
func (r *reporter) sent(st agentproto.TaskStatus, failed bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.inflight, st.TaskARN)
	if _, newer := r.next[st.TaskARN]; failed && !newer {
		r.next[st.TaskARN] = st
		r.queue = append(r.queue, st.TaskARN)
	}
}

func (r *reporter) run(ctx context.Context) {
	var wg sync.WaitGroup
	for range reportSenders {
		wg.Go(func() { r.sender(ctx) })
	}
	wg.Wait()
}

// sender sends queued statuses until ctx ends, pausing after a failure
// (200 ms, doubling up to 5 s, reset by a success).
func (r *reporter) sender(ctx context.Context) {
	backoff := 200 * time.Millisecond
	for {
		st, ok := r.take()
		if !ok {
			// Whoever queues a status, or ends the flight of a task with
			// a newer status queued (the sender itself, looking again),
			// finds a sender awake.
			select {
			case <-ctx.Done():
				return
			case <-r.wake:
			}
			continue
		}
		err := r.send(ctx, st)
		r.sent(st, err != nil)
		if err == nil {
			if st.LastStatus == model.TaskRunning {
				trace(st.TaskARN, "running.sent")
			}
			backoff = 200 * time.Millisecond
			continue
		}
		if ctx.Err() != nil {
			return
		}
		r.log.Warn("agent: report task state failed; will retry", "task", st.TaskARN, "err", err)
		if !runner.Sleep(ctx, backoff) {
			return
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

// sendStatus is one SubmitTaskStateChange.
func sendStatus(ctx context.Context, cl *client, st agentproto.TaskStatus) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	return cl.callECS(ctx, regionOf(st.TaskARN), "SubmitTaskStateChange", stateChange(st), nil)
}

// stateChange is st as SubmitTaskStateChange: the ECS members any reader
// understands, and the full status in wharf's member.
func stateChange(st agentproto.TaskStatus) agentproto.TaskStateChange {
	in := ecstypes.SubmitTaskStateChangeRequest{
		Cluster: new(st.ClusterARN), Task: new(st.TaskARN), Status: new(st.LastStatus),
		PullStartedAt: ts(st.PullStartedAt), PullStoppedAt: ts(st.PullStoppedAt), ExecutionStoppedAt: ts(st.ExecutionStoppedAt),
	}
	if st.StoppedReason != "" {
		in.Reason = new(st.StoppedReason)
	}
	for _, c := range st.Containers {
		in.Containers = append(in.Containers, ecstypes.ContainerStateChange{ContainerName: c.Name, RuntimeId: c.RuntimeId,
			ImageDigest: c.ImageDigest, Status: c.LastStatus, ExitCode: c.ExitCode, Reason: c.Reason, NetworkBindings: c.NetworkBindings})
	}
	return agentproto.TaskStateChange{SubmitTaskStateChangeRequest: in, Wharf: &st}
}

func ts(t time.Time) shape.Timestamp {
	if t.IsZero() {
		return shape.Timestamp{}
	}
	return shape.TimeOf(t)
}
