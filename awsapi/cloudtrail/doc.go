// Package cloudtrail keeps wharf's audit trail and serves it through
// CloudTrail's LookupEvents (AWS JSON 1.1, target prefix
// com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101).
//
// Every AWS call the front door sees (awsapi.Server.SetAuditor) becomes one
// event: who (the verified principal, or the access key it claimed), what
// (service and operation), when, the answer (errorCode) and the source IP.
// The trail is a ring of a bounded number of events in memory: the oldest
// go first, and a restart starts it empty (CloudTrail's own event history
// keeps 90 days; wharf keeps the last N calls).
//
// /work/shared/aws-models holds no CloudTrail model, so the few shapes of
// LookupEvents are written by hand in shapes.go, after AWS's API reference.
//
// It imports awsapi and the shared shape runtime only; no other service.
package cloudtrail
