// Package scheduler decides where ECS tasks run: task placement as pure
// functions over plain values.
//
// It owns:
//
//   - the feasibility chain (instance status, agent, required attributes,
//     distinctInstance and memberOf constraints, host ports, CPU, memory) and
//     the ECS failure reasons it reports ("RESOURCE:MEMORY", "AGENT", …);
//   - the placement strategies (spread, binpack, random) applied in order as
//     tie-breakers, and ECS's defaults when none is given;
//   - the cluster query language used by memberOf constraints and by
//     ListContainerInstances' filter;
//   - the helpers the service scheduler needs: one task per instance for
//     DAEMON services, and which tasks to stop when scaling in;
//   - Requirements, which derives what a task reserves from its definition.
//
// The control plane reads the store, builds Instance and Task values, calls
// Place (RunTask, services), PlaceOn (StartTask), PlaceDaemon or ChooseToStop,
// and applies the result in one transaction. Nothing here does I/O, keeps
// state between calls (a pool of scratch memory for nodes aside), starts
// goroutines or reads the clock; randomness comes only from the *rand.Rand
// the caller passes, so a seeded generator gives the same answer every
// time.
//
// Imports: the standard library and api/ecstypes only. Never store, awsapi,
// agent or model; they import this package, not the other way round.
//
// See README.md for the filter → rank → pick flow.
package scheduler
