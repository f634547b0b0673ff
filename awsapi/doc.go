// Package awsapi is wharf's one HTTP front door for every AWS API it serves.
//
// It owns the wire protocols shared by the services (AWS JSON 1.1, and the
// Query protocol of ELBv2), the SigV4 credential scope that decides a
// request's region, the request context (region, account, request id), and the
// single error story: every handler returns Go errors, and this package alone
// turns them into AWS error shapes and HTTP statuses.
//
// Service packages (awsapi/ecs, …) import this package; it imports none of
// them, and never imports controllers, the agent or the runtime.
package awsapi
