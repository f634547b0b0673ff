// Package ecs serves the Amazon ECS API (AWS JSON 1.1, target
// AmazonEC2ContainerServiceV20141113) over the store: each handler decodes
// and validates through the generated shapes in api/ecstypes, applies ECS's
// rules from package model, and reads or writes records in one store
// transaction, so a reply is only sent once what it reports is durable.
//
// It must not import other AWS service packages, controllers or the agent:
// those react to what this package writes.
package ecs
