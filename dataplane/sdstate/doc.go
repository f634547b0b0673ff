// Package sdstate is the stored state of AWS Cloud Map (servicediscovery)
// in wharf: the key layout, the records of namespaces, services, instances
// and operations, and the transactions that register and deregister
// instances and set their health — shared by the Cloud Map API
// (awsapi/servicediscovery), the DNS server (dataplane/dns) and, for ECS
// services with serviceRegistries, the ECS controllers.
//
// It imports store, model (for Scope and ARNs) and api/servicediscoverytypes;
// never awsapi, the data plane or the agent. Its functions take a
// transaction and a clock and do nothing else.
package sdstate
