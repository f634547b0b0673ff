// Package model holds ECS's rules as plain functions over plain values: ARN
// shapes, resource names, Fargate sizes, task definition validation, and
// (later) the task and deployment state machines. It does no I/O.
//
// It builds on the generated wire shapes in api/ecstypes (which themselves
// import only api/shape) and imports nothing else of wharf's: the store, the
// API layer and the agent all import model, never the other way round.
package model
