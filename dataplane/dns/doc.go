// Package dns is wharf's DNS server for AWS Cloud Map's DNS namespaces: it
// answers A, AAAA, SRV and CNAME queries for SERVICE.NAMESPACE (and SRV
// targets INSTANCE.SERVICE.NAMESPACE) with the healthy instances of each
// service, as Route 53 answers for a Cloud Map private namespace —
// MULTIVALUE up to eight records in random order, WEIGHTED one — with
// NXDOMAIN for names that do not exist in a namespace and an empty answer
// (NODATA) for types a name lacks, both with the zone's SOA. Names outside
// wharf's namespaces go to the upstream resolvers (those of
// /etc/resolv.conf); localhost names and reverse lookups of private
// addresses are answered locally.
//
// The server listens on a host address (wharf up --dns-listen) and, for
// containers, on port 53 of the Docker bridge's gateway (BridgeIP), because
// a container's DNS server setting takes an address without a port. Its
// addresses are published in the store (ReadResolver) and at
// GET /_wharf/dns, for the task runner to hand to containers as dnsServers.
//
// It reads the store through dataplane/sdstate and watches it; it imports
// nothing from awsapi, the agent or the runtime.
package dns
