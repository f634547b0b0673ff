// Command awscreds is an unmodified AWS SDK inside a task, for wharf's
// credentials endpoint tests: a static program (CGO_ENABLED=0) that the
// tests build and bind-mount into a task's container. It serves
//
//	GET /aws-creds   the credentials aws-sdk-go-v2's default chain
//	                 retrieves (it finds the container credentials provider
//	                 through AWS_CONTAINER_CREDENTIALS_RELATIVE_URI), and the
//	                 RoleArn of the endpoint it used, as JSON
//	GET /ssm-parameter?name=N  SSM GetParameter through the SDK's defaults
//	                 (AWS_ENDPOINT_URL, AWS_REGION and the container
//	                 credentials): {"Value"} or {"Code", "Message"}
//
// on -listen (":8080"), and exits 0 on SIGTERM.
//
// It is kept out of testapp on purpose: the SDK's package initialisation
// delays testapp's SIGTERM handler by a few milliseconds, and a Go program
// running as PID 1 that gets SIGTERM before its handler is installed exits
// with status 2, which the runner's stop tests would then see.
//
// testkit packages are test support only: no production package of wharf
// may import them.
package main
