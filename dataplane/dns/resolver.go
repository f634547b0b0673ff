package dns

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/wharfhq/wharf/store"
)

// ResolverKey holds the running DNS server's addresses, for whoever sets up
// containers (the ECS task runner's dnsServers): a Resolver record written
// when the server starts and removed when it stops.
const ResolverKey = "wharf/dns/resolver"

// Resolver says where wharf's DNS server answers.
type Resolver struct {
	// HostAddr is HOST:PORT on the host (the --dns-listen address).
	HostAddr string `json:"hostAddr"`
	// ContainerIP is the address containers give as their DNS server
	// (port 53 on the Docker bridge's gateway), "" when not served.
	ContainerIP string `json:"containerIp,omitempty"`
}

// ReadResolver returns the running DNS server's addresses; ok is false
// when none runs.
func ReadResolver(tx store.ReadTx) (r Resolver, ok bool, err error) {
	return store.Get[Resolver](tx, ResolverKey)
}

// Resolver returns this server's addresses.
func (s *Server) Resolver() Resolver { return Resolver{HostAddr: s.addr, ContainerIP: s.containerIP} }

func (s *Server) publish(ctx context.Context) {
	_, err := s.db.Update(ctx, func(tx store.Tx) error { return store.Put(tx, ResolverKey, s.Resolver()) })
	if err != nil && ctx.Err() == nil {
		s.log.Error("store the DNS server's addresses", "err", err)
	}
}

func (s *Server) unpublish() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := s.db.Update(ctx, func(tx store.Tx) error {
		r, ok, err := ReadResolver(tx)
		if err != nil || !ok || r != s.Resolver() {
			return err
		}
		return tx.Delete(ResolverKey)
	})
	if err != nil {
		s.log.Warn("remove the DNS server's addresses", "err", err)
	}
}

// InfoHandler answers GET /_wharf/dns with the Resolver as JSON.
func (s *Server) InfoHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(s.Resolver())
	})
}

// BridgeIP returns the IPv4 address of the host on Docker's default bridge
// (docker0), which containers on it reach as their gateway; "" when the
// host has no such interface (no local Docker engine).
func BridgeIP() string {
	ifc, err := net.InterfaceByName("docker0")
	if err != nil {
		return ""
	}
	addrs, err := ifc.Addrs()
	if err != nil {
		return ""
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil {
			return n.IP.String()
		}
	}
	return ""
}

// resolvConfServers reads the nameservers of a resolv.conf as HOST:53.
func resolvConfServers(path string) []string {
	f, err := os.Open(path)
	if err != nil {
		return []string{}
	}
	defer f.Close()
	out := []string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "nameserver" && net.ParseIP(fields[1]) != nil {
			out = append(out, net.JoinHostPort(fields[1], "53"))
		}
	}
	return out
}
