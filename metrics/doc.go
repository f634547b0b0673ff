// Package metrics is wharf's CloudWatch metrics store and its alarm
// records: series of per-period aggregates (sum, count, minimum, maximum
// and a bounded centroid sketch for percentiles) kept in memory at 1-minute
// resolution for 15 days, rolled into 5-minute points until 63 days and
// 1-hour points until 455 days, as CloudWatch documents, and saved to
// DATA_DIR/metrics.gob. Alarm definitions and states are records in
// store.Backend under cloudwatch/ (see alarms.go).
//
// It imports store and the generated cloudwatchtypes only: no HTTP, no
// controller. awsapi/cloudwatch serves it; controller/alarms evaluates
// alarms on it; the server feeds it ECS and load balancer metrics.
package metrics
