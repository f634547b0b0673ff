// Package applicationautoscaling serves Application Auto Scaling (AWS JSON
// 1.1, target AnyScaleFrontendService, signing name application-autoscaling)
// for one scalable dimension, ecs:service:DesiredCount: scalable targets
// with their bounds and suspensions, target tracking and step scaling
// policies, scheduled actions, scaling activities and tags.
//
// Scaling really happens: a decision (an alarm handed to HandleAlarm, a
// scheduled action that comes due in RunDue, new bounds) is recorded as an
// InProgress activity, then the service's desiredCount is written with
// state.UpdateService, which the service scheduler follows, then the
// activity is marked Successful. An activity left InProgress by a crash is
// finished on the next RunDue, so no decision is lost or applied twice.
//
// Target tracking policies own their CloudWatch alarms
// (TargetTracking-service/CLUSTER/SERVICE-AlarmHigh-UUID and -AlarmLow-UUID)
// and write them through the AlarmWriter the server gives; CloudWatch calls
// HandleAlarm back when an alarm whose actions name a policy changes state.
//
// Records (keys sort by resource, so a target's records are one prefix):
//
//	aas/targets/ACCOUNT/REGION/ecs/service/CLUSTER/SERVICE            targetRecord (policies and scheduled actions inside)
//	aas/activities/ACCOUNT/REGION/ecs/service/CLUSTER/SERVICE/INV-ID  activityRecord, newest first
//	aas/pending/ACTIVITY-KEY                                          an activity still to apply
//
// The arithmetic lives in scaling.go as pure functions. It imports awsapi,
// the generated shapes, schedexpr, state, model and store; never another
// service package, controllers or the agent.
package applicationautoscaling
