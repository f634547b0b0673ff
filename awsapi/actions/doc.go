// Package actions names, for each AWS call wharf serves, the IAM action
// it needs ("<service prefix>:<Operation>"), the resource ARNs IAM checks
// for it, and the condition keys the call's own parameters give (ecs:cluster,
// aws:RequestTag/…, aws:TagKeys), as AWS's Service Authorization
// Reference lists them. Where the reference lists no resource for an
// action, or a resource wharf could only name by reading the store, the
// resource is "*".
//
// It reads raw request parameters only and imports nothing of wharf's but
// model (for ARNs): awsapi's authorization hook calls it before the
// service's handler decodes the request.
package actions
