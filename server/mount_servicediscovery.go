package server

import (
	"github.com/wharfhq/wharf/awsapi/servicediscovery"
	"github.com/wharfhq/wharf/dataplane/dns"
)

// Cloud Map over JSON 1.1, and (with Config.DNSListen) the DNS server for
// its namespaces: on DNSListen for the host, and on port 53 of the Docker
// bridge's gateway for containers. GET /_wharf/dns tells both addresses.
// The DNS server is nil when there is none.
func mountServiceDiscovery(m *mounter) *dns.Server {
	m.API.RegisterJSON(servicediscovery.New(m.DB, m.Log).Service())
	if m.Cfg.DNSListen == "" {
		return nil
	}
	log := m.Log.With("component", "dns")
	srv, err := dns.New(dns.Config{DB: m.DB, Listen: m.Cfg.DNSListen, ContainerIP: dns.BridgeIP(), Log: log})
	if err != nil {
		log.Error("the DNS server is off", "err", err)
		return nil
	}
	m.API.Handle("GET /_wharf/dns", srv.InfoHandler())
	return srv
}
