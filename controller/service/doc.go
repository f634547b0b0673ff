// Package service is the ECS service scheduler: a level-triggered
// reconcile loop that keeps each service's desired count of tasks running,
// replaces tasks that stop or fail their health checks, rolls deployments
// within minimumHealthyPercent and maximumPercent, and trips the deployment
// circuit breaker (rolling back when asked). A new task counts towards its
// deployment only once it has stayed RUNNING and healthy for the
// stabilisation window, and launches of tasks that keep failing are
// throttled (failures.go).
//
// The decisions are one pure function, Step, from a service's spec, its
// deployments and its tasks to a Plan; the Controller reads state, calls
// Step and applies the plan. A pass is rehearsed on a snapshot, where it
// places without the store's write lock, and committed by running it
// again in a short transaction with the rehearsal's placements, checked
// unchanged (state.Rehearse); a pass starts and stops at most
// maxTaskChanges tasks, so its commit fits etcd's 128 keys. It imports
// store, state, model and scheduler; never awsapi or the agent.
//
// A replica pass costs the service, not the cluster: it reads the
// service's own tasks through the group index, the records of the
// instances they run on, and, to place, each instance's usage entry
// rather than every task of the cluster (state.Launch.GroupTasks).
//
//	informer on ecs/ ──▶ ctrl queue (service keys) ──▶ reconcile(service):
//	  View:   read service + its tasks (+ their instances)
//	          plan := Step(...) (pure), place, apply to an Overlay
//	  Update: (only if the rehearsal wrote) the same pass, placements
//	          from the rehearsal after CheckReads; ErrConflict: again
package service
