// Package servicediscovery serves AWS Cloud Map (AWS JSON 1.1, target
// Route53AutoNaming_v20170314, signing name servicediscovery) over the
// store: HTTP, private and public DNS namespaces, services with A, AAAA, SRV
// and CNAME records and custom health checks, instances, operations (which
// complete at once) and tags. Records live in dataplane/sdstate; the DNS
// server (dataplane/dns) answers from them.
//
// DiscoverInstances and UpdateInstanceCustomHealthStatus have their own
// endpoint prefix in AWS (data-servicediscovery): SDKs send them to
// "data-" + the endpoint's host. wharf answers them on its one port like
// every other call; a client pointed at wharf by IP or "localhost" must not
// prefix the host. With aws-sdk-go-v2, either give the client a legacy
// endpoint resolver that marks the endpoint HostnameImmutable, or add
// smithyhttp.DisableEndpointHostPrefix to the operation's context in an
// APIOptions middleware (the tests here do the latter).
//
// It must not import other AWS service packages, controllers or the agent.
package servicediscovery
