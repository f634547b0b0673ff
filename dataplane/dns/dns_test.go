package dns_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	sdtypes "github.com/wharfhq/wharf/api/servicediscoverytypes"
	"github.com/wharfhq/wharf/awsapi/servicediscovery"
	"github.com/wharfhq/wharf/dataplane/dns"
	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

type fixture struct {
	t   *testing.T
	db  *bolt.DB
	api *servicediscovery.API
	srv *dns.Server
	ctx context.Context
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// start runs a DNS server on a loopback port over a fresh store, with the
// given upstream resolvers (none: names outside the namespaces are refused).
func start(t *testing.T, upstreams ...string) *fixture {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "wharf.db"), bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if upstreams == nil {
		upstreams = []string{}
	}
	srv, err := dns.New(dns.Config{DB: db, Listen: "127.0.0.1:0", Upstreams: upstreams, Log: quiet()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("DNS server did not stop within 10s")
		}
		_ = db.Close()
	})
	return &fixture{t: t, db: db, api: servicediscovery.New(db, quiet()), srv: srv, ctx: context.Background()}
}

// service creates namespace ns (once) and a DNS service in it.
func (f *fixture) service(ns, name string, policy sdtypes.RoutingPolicy, custom bool, types ...sdtypes.RecordType) string {
	f.t.Helper()
	nsID := ""
	list := apitest.Must(f.api.ListNamespaces(f.ctx, &sdtypes.ListNamespacesRequest{}))(f.t)
	for _, n := range list.Namespaces {
		if *n.Name == ns {
			nsID = *n.Id
		}
	}
	if nsID == "" {
		op := apitest.Must(f.api.CreatePrivateDnsNamespace(f.ctx, &sdtypes.CreatePrivateDnsNamespaceRequest{Name: new(ns), Vpc: new("vpc-1")}))(f.t)
		got := apitest.Must(f.api.GetOperation(f.ctx, &sdtypes.GetOperationRequest{OperationId: op.OperationId}))(f.t)
		nsID = got.Operation.Targets["NAMESPACE"]
	}
	var recs []sdtypes.DnsRecord
	for _, typ := range types {
		recs = append(recs, sdtypes.DnsRecord{Type: typ, TTL: new(int64(10))})
	}
	in := &sdtypes.CreateServiceRequest{Name: new(name), NamespaceId: new(nsID),
		DnsConfig: &sdtypes.DnsConfig{RoutingPolicy: policy, DnsRecords: recs}}
	if custom {
		in.HealthCheckCustomConfig = &sdtypes.HealthCheckCustomConfig{}
	}
	return *apitest.Must(f.api.CreateService(f.ctx, in))(f.t).Service.Id
}

func (f *fixture) register(svc, id string, attrs map[string]string) {
	f.t.Helper()
	apitest.Must(f.api.RegisterInstance(f.ctx, &sdtypes.RegisterInstanceRequest{ServiceId: new(svc), InstanceId: new(id), Attributes: attrs}))(f.t)
}

// query asks the server over UDP (or TCP) and returns the parsed reply.
func query(t testing.TB, addr, network, name string, typ dnsmessage.Type) dnsmessage.Message {
	t.Helper()
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: 4242, RecursionDesired: true})
	_ = b.StartQuestions()
	if err := b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(name), Type: typ, Class: dnsmessage.ClassINET}); err != nil {
		t.Fatal(err)
	}
	msg, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	var resp []byte
	if network == "tcp" {
		if _, err := conn.Write(append([]byte{byte(len(msg) >> 8), byte(len(msg))}, msg...)); err != nil {
			t.Fatal(err)
		}
		var l [2]byte
		if _, err := io.ReadFull(conn, l[:]); err != nil {
			t.Fatal(err)
		}
		resp = make([]byte, int(l[0])<<8|int(l[1]))
		if _, err := io.ReadFull(conn, resp); err != nil {
			t.Fatal(err)
		}
	} else {
		if _, err := conn.Write(msg); err != nil {
			t.Fatal(err)
		}
		resp = make([]byte, 65535)
		n, err := conn.Read(resp)
		if err != nil {
			t.Fatal(err)
		}
		resp = resp[:n]
	}
	var m dnsmessage.Message
	if err := m.Unpack(resp); err != nil {
		t.Fatalf("unpack reply: %v", err)
	}
	if m.ID != 4242 || !m.Response {
		t.Fatalf("reply header %+v", m.Header)
	}
	return m
}

// records renders a section's records sorted, e.g. "A 10.0.0.1",
// "SRV 8080 i-1.web.local.".
func records(rs []dnsmessage.Resource) []string {
	var out []string
	for _, r := range rs {
		switch b := r.Body.(type) {
		case *dnsmessage.AResource:
			out = append(out, fmt.Sprintf("A %s", net.IP(b.A[:])))
		case *dnsmessage.AAAAResource:
			out = append(out, fmt.Sprintf("AAAA %s", net.IP(b.AAAA[:])))
		case *dnsmessage.SRVResource:
			out = append(out, fmt.Sprintf("SRV %d %s", b.Port, b.Target))
		case *dnsmessage.SOAResource:
			out = append(out, "SOA "+r.Header.Name.String())
		case *dnsmessage.CNAMEResource:
			out = append(out, "CNAME "+b.CNAME.String())
		}
	}
	sort.Strings(out)
	return out
}

func same(got []string, want ...string) bool {
	sort.Strings(want)
	return slices.Equal(got, want)
}

// eventually polls a query (bounded) until check passes: the server reads
// the store through a watch.
func (f *fixture) eventually(name string, typ dnsmessage.Type, check func(dnsmessage.Message) bool) dnsmessage.Message {
	f.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m := query(f.t, f.srv.Addr(), "udp", name, typ)
		if check(m) {
			return m
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("%s %s: last reply %v %v / %v", name, typ, m.RCode, records(m.Answers), records(m.Authorities))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestAnswersHealthyInstances(t *testing.T) {
	f := start(t)
	web := f.service("local", "web", sdtypes.RoutingPolicyMultivalue, true, sdtypes.RecordTypeA, sdtypes.RecordTypeSrv)
	f.register(web, "i-1", map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.1", "AWS_INSTANCE_PORT": "8080"})
	f.register(web, "i-2", map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.2", "AWS_INSTANCE_PORT": "8081"})
	f.register(web, "i-3", map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.3", "AWS_INSTANCE_PORT": "8082", "AWS_INIT_HEALTH_STATUS": "UNHEALTHY"})

	m := f.eventually("web.local.", dnsmessage.TypeA, func(m dnsmessage.Message) bool { return len(m.Answers) == 2 })
	if got := records(m.Answers); !same(got, "A 10.0.0.1", "A 10.0.0.2") || !m.Authoritative || m.RCode != dnsmessage.RCodeSuccess {
		t.Fatalf("A: %v aa=%v %v", got, m.Authoritative, m.RCode)
	}
	if m.Answers[0].Header.TTL != 10 {
		t.Fatalf("TTL %d", m.Answers[0].Header.TTL)
	}

	t.Run("SRV with the targets' addresses", func(t *testing.T) {
		m := query(t, f.srv.Addr(), "udp", "web.local.", dnsmessage.TypeSRV)
		if got := records(m.Answers); !same(got, "SRV 8080 i-1.web.local.", "SRV 8081 i-2.web.local.") {
			t.Fatalf("SRV: %v", got)
		}
		if got := records(m.Additionals); !same(got, "A 10.0.0.1", "A 10.0.0.2") {
			t.Fatalf("additional: %v", got)
		}
		if got := records(query(t, f.srv.Addr(), "udp", "i-2.web.local.", dnsmessage.TypeA).Answers); !same(got, "A 10.0.0.2") {
			t.Fatalf("SRV target: %v", got)
		}
	})

	t.Run("health changes follow", func(t *testing.T) {
		apitest.Must(f.api.UpdateInstanceCustomHealthStatus(f.ctx, &sdtypes.UpdateInstanceCustomHealthStatusRequest{ServiceId: new(web), InstanceId: new("i-1"), Status: sdtypes.CustomHealthStatusUnhealthy}))(t)
		apitest.Must(f.api.UpdateInstanceCustomHealthStatus(f.ctx, &sdtypes.UpdateInstanceCustomHealthStatusRequest{ServiceId: new(web), InstanceId: new("i-3"), Status: sdtypes.CustomHealthStatusHealthy}))(t)
		f.eventually("web.local.", dnsmessage.TypeA, func(m dnsmessage.Message) bool {
			return same(records(m.Answers), "A 10.0.0.2", "A 10.0.0.3")
		})
		apitest.Must(f.api.DeregisterInstance(f.ctx, &sdtypes.DeregisterInstanceRequest{ServiceId: new(web), InstanceId: new("i-2")}))(t)
		f.eventually("web.local.", dnsmessage.TypeA, func(m dnsmessage.Message) bool { return same(records(m.Answers), "A 10.0.0.3") })
	})

	t.Run("no healthy instance: no data", func(t *testing.T) {
		apitest.Must(f.api.UpdateInstanceCustomHealthStatus(f.ctx, &sdtypes.UpdateInstanceCustomHealthStatusRequest{ServiceId: new(web), InstanceId: new("i-3"), Status: sdtypes.CustomHealthStatusUnhealthy}))(t)
		m := f.eventually("web.local.", dnsmessage.TypeA, func(m dnsmessage.Message) bool { return len(m.Answers) == 0 })
		if m.RCode != dnsmessage.RCodeSuccess || !same(records(m.Authorities), "SOA local.") {
			t.Fatalf("%v %v", m.RCode, records(m.Authorities))
		}
	})

	t.Run("TCP", func(t *testing.T) {
		apitest.Must(f.api.UpdateInstanceCustomHealthStatus(f.ctx, &sdtypes.UpdateInstanceCustomHealthStatusRequest{ServiceId: new(web), InstanceId: new("i-1"), Status: sdtypes.CustomHealthStatusHealthy}))(t)
		f.eventually("web.local.", dnsmessage.TypeA, func(m dnsmessage.Message) bool { return len(m.Answers) == 1 })
		if got := records(query(t, f.srv.Addr(), "tcp", "WEB.Local.", dnsmessage.TypeA).Answers); !same(got, "A 10.0.0.1") {
			t.Fatalf("over TCP, any case: %v", got)
		}
	})
}

func TestNegativeAndLocalAnswers(t *testing.T) {
	f := start(t)
	api := f.service("corp.internal", "api", sdtypes.RoutingPolicyMultivalue, false, sdtypes.RecordTypeA)
	f.register(api, "t1", map[string]string{"AWS_INSTANCE_IPV4": "10.1.0.1"})
	f.eventually("api.corp.internal.", dnsmessage.TypeA, func(m dnsmessage.Message) bool { return len(m.Answers) == 1 })
	addr := f.srv.Addr()
	tests := []struct {
		name      string
		qname     string
		qtype     dnsmessage.Type
		rcode     dnsmessage.RCode
		answers   []string
		authority []string
	}{
		{"no such name in the namespace", "nope.corp.internal.", dnsmessage.TypeA, dnsmessage.RCodeNameError, nil, []string{"SOA corp.internal."}},
		{"type the service lacks", "api.corp.internal.", dnsmessage.TypeAAAA, dnsmessage.RCodeSuccess, nil, []string{"SOA corp.internal."}},
		{"zone apex SOA", "corp.internal.", dnsmessage.TypeSOA, dnsmessage.RCodeSuccess, []string{"SOA corp.internal."}, nil},
		{"service without health checks: every instance", "api.corp.internal.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, []string{"A 10.1.0.1"}, nil},
		{"localhost", "web-1.us-east-1.elb.localhost.", dnsmessage.TypeA, dnsmessage.RCodeSuccess, []string{"A 127.0.0.1"}, nil},
		{"private reverse lookups stay local", "1.0.17.172.in-addr.arpa.", dnsmessage.TypePTR, dnsmessage.RCodeNameError, nil, nil},
		{"other names without upstream", "example.com.", dnsmessage.TypeA, dnsmessage.RCodeRefused, nil, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m := query(t, addr, "udp", tc.qname, tc.qtype)
			if m.RCode != tc.rcode || !same(records(m.Answers), tc.answers...) || !same(records(m.Authorities), tc.authority...) {
				t.Fatalf("got %v answers %v authority %v", m.RCode, records(m.Answers), records(m.Authorities))
			}
		})
	}
}

func TestRoutingPoliciesAndTruncation(t *testing.T) {
	f := start(t)
	multi := f.service("local", "multi", sdtypes.RoutingPolicyMultivalue, false, sdtypes.RecordTypeA, sdtypes.RecordTypeSrv)
	weighted := f.service("local", "one", sdtypes.RoutingPolicyWeighted, false, sdtypes.RecordTypeA)
	for i := range 12 {
		long := fmt.Sprintf("%02d-%s", i, strings.Repeat("x", 58)) // long SRV targets
		f.register(multi, long, map[string]string{"AWS_INSTANCE_IPV4": fmt.Sprintf("10.2.0.%d", i+1), "AWS_INSTANCE_PORT": "80"})
		f.register(weighted, fmt.Sprintf("w%d", i), map[string]string{"AWS_INSTANCE_IPV4": fmt.Sprintf("10.3.0.%d", i+1)})
	}
	f.eventually("one.local.", dnsmessage.TypeA, func(m dnsmessage.Message) bool { return len(m.Answers) == 1 })
	seen := map[string]bool{}
	for range 20 {
		m := query(t, f.srv.Addr(), "udp", "multi.local.", dnsmessage.TypeA)
		if len(m.Answers) != 8 {
			t.Fatalf("MULTIVALUE over 12 instances answered %d records", len(m.Answers))
		}
		for _, r := range records(m.Answers) {
			seen[r] = true
		}
	}
	if len(seen) < 9 {
		t.Fatalf("20 answers of 8 out of 12 used only %d addresses", len(seen))
	}
	m := query(t, f.srv.Addr(), "udp", "multi.local.", dnsmessage.TypeSRV)
	if !m.Truncated || len(m.Answers) != 0 {
		t.Fatalf("a large SRV answer over UDP: truncated=%v with %d answers", m.Truncated, len(m.Answers))
	}
	m = query(t, f.srv.Addr(), "tcp", "multi.local.", dnsmessage.TypeSRV)
	if m.Truncated || len(m.Answers) != 8 || len(m.Additionals) != 8 {
		t.Fatalf("over TCP: truncated=%v %d answers %d additional", m.Truncated, len(m.Answers), len(m.Additionals))
	}
}

func TestForwardsOtherNames(t *testing.T) {
	// The upstream is another wharf DNS server on loopback, answering for
	// its own namespace.
	up := start(t)
	svc := up.service("upstream.test", "www", sdtypes.RoutingPolicyMultivalue, false, sdtypes.RecordTypeA)
	up.register(svc, "x", map[string]string{"AWS_INSTANCE_IPV4": "192.0.2.7"})
	up.eventually("www.upstream.test.", dnsmessage.TypeA, func(m dnsmessage.Message) bool { return len(m.Answers) == 1 })

	f := start(t, up.srv.Addr())
	for _, network := range []string{"udp", "tcp"} {
		m := query(t, f.srv.Addr(), network, "www.upstream.test.", dnsmessage.TypeA)
		if !same(records(m.Answers), "A 192.0.2.7") {
			t.Fatalf("forwarded over %s: %v %v", network, m.RCode, records(m.Answers))
		}
	}
	t.Run("upstream down", func(t *testing.T) {
		ln, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		dead := ln.LocalAddr().String()
		ln.Close()
		g := start(t, dead)
		if m := query(t, g.srv.Addr(), "udp", "www.upstream.test.", dnsmessage.TypeA); m.RCode != dnsmessage.RCodeServerFailure {
			t.Fatalf("got %v", m.RCode)
		}
	})
}

func TestPublishesItsAddresses(t *testing.T) {
	f := start(t)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var r dns.Resolver
		var ok bool
		err := f.db.View(f.ctx, func(tx store.ReadTx) (err error) {
			r, ok, err = dns.ReadResolver(tx)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			if r.HostAddr != f.srv.Addr() {
				t.Fatalf("published %+v, serving on %s", r, f.srv.Addr())
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("the resolver record was not written")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
