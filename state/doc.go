// Package state reads and writes ECS records in the store for both the ECS
// API and the controllers: the key layout, the record types, and the
// transactions they share — creating a task, asking one to stop, placing
// tasks on container instances.
//
// It imports store, model and scheduler; never awsapi, controllers or the
// agent. Its functions take a transaction and a clock and do nothing else,
// so one API call or one reconcile step is one transaction.
package state
