package agent

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
)

// wharf's DNS server answers for Cloud Map names and forwards the rest, so
// task containers use it by default and reach each other by name
// (SERVICE.NAMESPACE), as ECS tasks do through Route 53. A container that
// sets dnsServers keeps its own; host-mode tasks keep the host's resolver
// (Docker refuses DNS settings there).

// dnsRefresh is how often the agent asks where the DNS server is.
const dnsRefresh = 30 * time.Second

// refreshDNS learns the DNS server's address for containers from the
// control plane (GET /_wharf/dns); "" when none runs.
func (a *Agent) refreshDNS(ctx context.Context) {
	if time.Since(a.dnsAt) < dnsRefresh {
		return
	}
	a.dnsAt = time.Now()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.cl.base+"/_wharf/dns", nil)
	if err != nil {
		return
	}
	resp, err := a.cl.http.Do(req)
	if err != nil {
		return
	}
	defer resp.Body.Close()
	var r struct {
		ContainerIP string `json:"containerIp"`
	}
	if resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&r) == nil {
		a.mu.Lock()
		a.dnsIP = r.ContainerIP
		a.mu.Unlock()
	}
}

// withDNS gives the containers of as that set no dnsServers wharf's DNS
// server. It copies what it changes: the assignment may be shared.
func withDNS(as agentproto.Assignment, ip string) agentproto.Assignment {
	if ip == "" || as.Definition.NetworkMode == ecstypes.NetworkModeHost {
		return as
	}
	defs := slices.Clone(as.Definition.ContainerDefinitions)
	for i := range defs {
		if len(defs[i].DnsServers) == 0 {
			defs[i].DnsServers = []string{ip}
		}
	}
	as.Definition.ContainerDefinitions = defs
	return as
}
