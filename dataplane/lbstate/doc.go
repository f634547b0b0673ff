// Package lbstate is the stored state of Elastic Load Balancing v2 in wharf:
// the key layout, the record types, ARNs and DNS names, attribute defaults
// and the snapshot the data plane serves from. The ELBv2 API (awsapi/elbv2)
// writes these records; the load balancer data plane (dataplane/lb) reads
// them and writes back only target health and finished drains.
//
// It imports store, model (for Scope) and api/elbv2types; never awsapi, the
// data plane or the agent. Its functions take a transaction and a clock and
// do nothing else, so one API call is one transaction.
package lbstate
