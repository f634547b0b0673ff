// Package state reads and writes ECS records in the store for both the ECS
// API and the controllers: the key layout, the record types, and the
// transactions they share — creating a task, asking one to stop, placing
// tasks on container instances.
//
// It also holds the ECS core between the store and the API: the task state
// machine (taskstatus.go), heartbeats, the agents' long poll and
// registration (agent.go, register.go).
//
// It imports store, model, scheduler and agentproto (the agent protocol's
// plain shapes); never awsapi, controllers or the agent. Its functions take
// a transaction and a clock and do nothing else, so one API call or one
// reconcile step is one transaction; the few that serve one whole agent
// call (ReportTaskStatus, Poll, RegisterBulk, SetAttachmentStatus) take
// the store and run their own small transactions.
package state
