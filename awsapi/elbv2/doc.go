// Package elbv2 serves Elastic Load Balancing v2 (application load
// balancers) over the AWS Query protocol on wharf's one port: load
// balancers, target groups and their attributes, targets and their health,
// listeners, rules and tags. Each handler decodes and validates through the
// generated shapes in api/elbv2types, applies ELB's rules and reads or
// writes records (dataplane/lbstate) in one store transaction.
//
// It does not move traffic: the data plane (dataplane/lb) reacts to what
// this package writes. The one call into it is Ports.Reserve, so that a
// listener whose port cannot be bound fails CreateListener and is never
// stored.
//
// It must not import other AWS service packages, controllers or the agent.
package elbv2
