// Package taskset is the task-set controller: for services whose
// deploymentController is EXTERNAL or CODE_DEPLOY it keeps each task set's
// computedDesiredCount (scale percent of the service's desired count,
// rounded up) of tasks running, registers them in the set's target groups
// and Cloud Map services once RUNNING, deregisters and drains them before
// they stop, replaces the ones that fail their health checks, keeps the
// sets' counts and stability, and removes DRAINING sets once their tasks
// are gone.
//
// The decision is one pure function, Step, from a set's desired count and
// live tasks to a Plan (launch n, stop these); reconcile reads a service
// and its sets and tasks, calls Step per set and applies the plans,
// rehearsed on a snapshot and committed in a short transaction as the
// service scheduler does (state.Rehearse). Run is a minimal level-triggered loop (store
// watch + resync ticker) meant to move onto the shared controller runtime.
//
// It imports store, state, model, scheduler (through state) and
// controller/traffic; never awsapi, another controller or the agent.
//
//	store watch ──▶ dirty services ──▶ reconcile(service), rehearsed then committed:
//	   (services, task sets,             read service + sets + tasks
//	    tasks of service:NAME)           per set: plan := Step(...)  (pure)
//	                                     launch / drain / stop, counts,
//	                                     DRAINING set with no task: delete
package taskset
