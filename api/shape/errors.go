package shape

// ErrorInfo describes one error of a service's model, as generated into the
// service package's Errors table (keyed by the code sent on the wire).
type ErrorInfo struct {
	// Shape is the error shape's name (the Go type of its structure). It
	// differs from the wire code where the model gives an awsQueryError
	// code (LoadBalancerNotFoundException is sent as LoadBalancerNotFound).
	Shape string
	// Fault is "client" or "server" (smithy.api#error).
	Fault string
	// HTTPStatus is the model's status for the error: its smithy.api#httpError,
	// else its awsQueryError httpResponseCode, else Smithy's default of 400
	// for a client fault and 500 for a server fault.
	HTTPStatus int
	// Message is the name of the shape's message member ("message" or
	// "Message"), "" when it has none: protocols that decode error bodies
	// by member name (rpcv2Cbor) need its exact case.
	Message string
}
