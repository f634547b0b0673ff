// Package lb is the load balancer data plane: it serves the listeners of
// the application load balancers stored by the ELBv2 API (dataplane/lbstate
// records), proxying HTTP/1.1 — keep-alive, streaming, protocol upgrades
// such as websockets — to the healthy targets of their target groups, by
// rule (priority order; path-pattern, host-header, http-header, method,
// query-string and source-ip conditions), weight and policy (round robin,
// least outstanding requests, random). It health-checks the targets of the
// groups listeners use, writes their health back for DescribeTargetHealth,
// and drains deregistered targets: no new requests, in-flight ones finish
// until the deregistration delay ends (sooner when none is left).
//
// Plane.Run watches the store and applies each change to the running
// listeners and groups; it rebuilds everything from the store on start, so
// a restarted wharf serves again at once (health comes back from the
// store). Plane.Reserve binds a listener's port before the API stores the
// listener, so a busy port fails CreateListener.
//
// It imports store, dataplane/lbstate and api/elbv2types; never awsapi,
// controllers or the agent. See README.md for the flow.
package lb
