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
// Step and applies the plan in the same store transaction. It imports
// store, state, model and scheduler; never awsapi or the agent.
//
// A replica pass costs the service, not the cluster: it reads the
// service's own tasks through the group index, the records of the
// instances they run on, and, to place, each instance's usage entry
// rather than every task of the cluster (state.Launch.GroupTasks).
//
//	informer on ecs/ ──▶ ctrl queue (service keys) ──▶ reconcile(service) in one Update:
//	                                     read service + its tasks (+ their instances)
//	                                     plan := Step(...)        (pure)
//	                                     launch / stop / record events
package service
