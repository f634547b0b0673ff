package dns

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"

	"golang.org/x/net/dns/dnsmessage"

	sdtypes "github.com/wharfhq/wharf/api/servicediscoverytypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/dataplane/sdstate"
)

// maxMultivalue is how many records a MULTIVALUE answer carries at most,
// as Route 53 answers.
const maxMultivalue = 8

// index is what the server answers from: the DNS namespaces (zones) and
// the names in them, with the healthy instances' records only.
type index struct {
	serial uint32
	zones  map[string]zone    // lower-case FQDN of a namespace → zone
	names  map[string]*rrsets // lower-case FQDN → records (present: the name exists)
}

type zone struct {
	name   string // FQDN as stored
	soaTTL uint32
}

type rrsets struct {
	weighted bool // WEIGHTED routing: one record per answer
	a        []ttlAddr
	aaaa     []ttlAddr
	srv      []ttlSRV
	cname    []ttlName
}

type ttlAddr struct {
	ip  netip.Addr
	ttl uint32
}

type ttlSRV struct {
	port   uint16
	target string // FQDN
	ttl    uint32
}

type ttlName struct {
	name string
	ttl  uint32
}

func fqdn(s string) string {
	s = strings.ToLower(strings.TrimSuffix(s, "."))
	return s + "."
}

// buildIndex turns a Cloud Map snapshot into DNS records: for a service
// SVC in DNS namespace NS, SVC.NS. has an A, AAAA, SRV or CNAME record per
// healthy instance (as its DnsConfig lists), and each SRV target
// INSTANCE.SVC.NS. has the instance's addresses.
func buildIndex(snap *sdstate.Snapshot) *index {
	idx := &index{serial: uint32(snap.Rev), zones: map[string]zone{}, names: map[string]*rrsets{}}
	nsByID := map[string]zone{}
	for _, ns := range snap.Namespaces {
		if ns.NS.Type != sdtypes.NamespaceTypeDnsPrivate && ns.NS.Type != sdtypes.NamespaceTypeDnsPublic {
			continue
		}
		z := zone{name: strings.TrimSuffix(shape.ToString(ns.NS.Name), ".") + ".", soaTTL: 15}
		if p := ns.NS.Properties; p != nil && p.DnsProperties != nil && p.DnsProperties.SOA != nil && p.DnsProperties.SOA.TTL != nil {
			z.soaTTL = clampTTL(*p.DnsProperties.SOA.TTL)
		}
		idx.zones[fqdn(z.name)] = z
		nsByID[sdstate.Root(ns.Scope)+shape.ToString(ns.NS.Id)] = z
	}
	for _, svc := range snap.Services {
		z, ok := nsByID[sdstate.Root(svc.Scope)+shape.ToString(svc.Svc.NamespaceId)]
		if !ok || svc.Svc.DnsConfig == nil {
			continue
		}
		name := fqdn(shape.ToString(svc.Svc.Name) + "." + z.name)
		rs := idx.rrsets(name)
		rs.weighted = svc.Svc.DnsConfig.RoutingPolicy == sdtypes.RoutingPolicyWeighted
		for _, inst := range snap.InstancesOf(svc) {
			if !svc.Healthy(inst) {
				continue
			}
			attrs := inst.Inst.Attributes
			v4, _ := netip.ParseAddr(attrs[sdstate.AttrIPv4])
			v6, _ := netip.ParseAddr(attrs[sdstate.AttrIPv6])
			for _, rec := range svc.Svc.DnsConfig.DnsRecords {
				ttl := uint32(0)
				if rec.TTL != nil {
					ttl = clampTTL(*rec.TTL)
				}
				switch rec.Type {
				case sdtypes.RecordTypeA:
					if v4.Is4() {
						rs.a = append(rs.a, ttlAddr{v4, ttl})
					}
				case sdtypes.RecordTypeAaaa:
					if v6.Is6() {
						rs.aaaa = append(rs.aaaa, ttlAddr{v6, ttl})
					}
				case sdtypes.RecordTypeCname:
					if c := attrs[sdstate.AttrCNAME]; c != "" {
						rs.cname = append(rs.cname, ttlName{fqdn(c), ttl})
					}
				case sdtypes.RecordTypeSrv:
					port, err := strconv.ParseUint(attrs[sdstate.AttrPort], 10, 16)
					if err != nil {
						continue
					}
					target := fqdn(shape.ToString(inst.Inst.Id) + "." + name)
					rs.srv = append(rs.srv, ttlSRV{uint16(port), target, ttl})
					host := idx.rrsets(target)
					if v4.Is4() {
						host.a = append(host.a, ttlAddr{v4, ttl})
					}
					if v6.Is6() {
						host.aaaa = append(host.aaaa, ttlAddr{v6, ttl})
					}
				}
			}
		}
	}
	return idx
}

func (idx *index) rrsets(name string) *rrsets {
	rs := idx.names[name]
	if rs == nil {
		rs = &rrsets{}
		idx.names[name] = rs
	}
	return rs
}

func clampTTL(v int64) uint32 {
	return uint32(min(max(v, 0), 2147483647))
}

// zoneOf returns the zone name belongs to (the longest match).
func (idx *index) zoneOf(name string) (zone, bool) {
	for n := name; n != ""; {
		if z, ok := idx.zones[n]; ok {
			return z, true
		}
		i := strings.IndexByte(n, '.')
		if i < 0 || i == len(n)-1 {
			break
		}
		n = n[i+1:]
	}
	return zone{}, false
}

// pick chooses the records an answer carries: all of them up to eight in
// random order (MULTIVALUE), or one at random (WEIGHTED).
func pick[T any](recs []T, weighted bool) []T {
	if len(recs) == 0 {
		return nil
	}
	if weighted {
		return []T{recs[rand.IntN(len(recs))]}
	}
	out := append([]T(nil), recs...)
	rand.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out[:min(len(out), maxMultivalue)]
}

// answer is what the server says to one question.
type answer struct {
	rcode         dnsmessage.RCode
	authoritative bool
	forward       bool // not ours: ask the upstream resolver
	answers       []dnsmessage.Resource
	authority     []dnsmessage.Resource
	additional    []dnsmessage.Resource
}

// lookup answers q: records for names in wharf's zones (NXDOMAIN for names
// that do not exist there, no data for types a name lacks), loopback for
// localhost names (RFC 6761), NXDOMAIN for reverse lookups of private and
// loopback addresses (RFC 6303), and forward for everything else.
func (idx *index) lookup(q dnsmessage.Question) answer {
	name := strings.ToLower(q.Name.String())
	if q.Class != dnsmessage.ClassINET && q.Class != dnsmessage.ClassANY {
		return answer{rcode: dnsmessage.RCodeRefused}
	}
	if name == "localhost." || strings.HasSuffix(name, ".localhost.") {
		return localhost(q)
	}
	if privateReverse(name) {
		return answer{rcode: dnsmessage.RCodeNameError, authoritative: true}
	}
	z, ok := idx.zoneOf(name)
	if !ok {
		return answer{forward: true}
	}
	a := answer{authoritative: true}
	soa := idx.soa(z)
	rs, exists := idx.names[name]
	if !exists && name != fqdn(z.name) {
		a.rcode = dnsmessage.RCodeNameError
		a.authority = []dnsmessage.Resource{soa}
		return a
	}
	if rs == nil {
		rs = &rrsets{}
	}
	hdr := func(t dnsmessage.Type, ttl uint32) dnsmessage.ResourceHeader {
		return dnsmessage.ResourceHeader{Name: q.Name, Type: t, Class: dnsmessage.ClassINET, TTL: ttl}
	}
	want := func(t dnsmessage.Type) bool { return q.Type == t || q.Type == dnsmessage.TypeALL }
	if name == fqdn(z.name) && want(dnsmessage.TypeSOA) {
		a.answers = append(a.answers, soa)
	}
	if len(rs.cname) > 0 {
		// A CNAME answers every type; the resolver follows it.
		c := pick(rs.cname, true)[0]
		if target, err := dnsmessage.NewName(c.name); err == nil {
			a.answers = append(a.answers, dnsmessage.Resource{Header: hdr(dnsmessage.TypeCNAME, c.ttl), Body: &dnsmessage.CNAMEResource{CNAME: target}})
			return a
		}
	}
	if want(dnsmessage.TypeA) {
		for _, r := range pick(rs.a, rs.weighted) {
			a.answers = append(a.answers, dnsmessage.Resource{Header: hdr(dnsmessage.TypeA, r.ttl), Body: &dnsmessage.AResource{A: r.ip.As4()}})
		}
	}
	if want(dnsmessage.TypeAAAA) {
		for _, r := range pick(rs.aaaa, rs.weighted) {
			a.answers = append(a.answers, dnsmessage.Resource{Header: hdr(dnsmessage.TypeAAAA, r.ttl), Body: &dnsmessage.AAAAResource{AAAA: r.ip.As16()}})
		}
	}
	if want(dnsmessage.TypeSRV) {
		for _, r := range pick(rs.srv, rs.weighted) {
			target, err := dnsmessage.NewName(r.target)
			if err != nil {
				continue
			}
			a.answers = append(a.answers, dnsmessage.Resource{Header: hdr(dnsmessage.TypeSRV, r.ttl),
				Body: &dnsmessage.SRVResource{Priority: 1, Weight: 10, Port: r.port, Target: target}})
			if host := idx.names[r.target]; host != nil {
				for _, h := range host.a {
					a.additional = append(a.additional, dnsmessage.Resource{Header: dnsmessage.ResourceHeader{Name: target, Type: dnsmessage.TypeA,
						Class: dnsmessage.ClassINET, TTL: h.ttl}, Body: &dnsmessage.AResource{A: h.ip.As4()}})
				}
			}
		}
	}
	if len(a.answers) == 0 {
		a.authority = []dnsmessage.Resource{soa} // no data: the name exists
	}
	return a
}

func (idx *index) soa(z zone) dnsmessage.Resource {
	zn, _ := dnsmessage.NewName(z.name)
	return dnsmessage.Resource{
		Header: dnsmessage.ResourceHeader{Name: zn, Type: dnsmessage.TypeSOA, Class: dnsmessage.ClassINET, TTL: z.soaTTL},
		Body: &dnsmessage.SOAResource{NS: dnsmessage.MustNewName("ns.wharf."), MBox: dnsmessage.MustNewName("hostmaster.wharf."),
			Serial: idx.serial, Refresh: 7200, Retry: 900, Expire: 1209600, MinTTL: z.soaTTL},
	}
}

func localhost(q dnsmessage.Question) answer {
	a := answer{authoritative: true}
	hdr := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 300}
	if q.Type == dnsmessage.TypeA || q.Type == dnsmessage.TypeALL {
		hdr.Type = dnsmessage.TypeA
		a.answers = append(a.answers, dnsmessage.Resource{Header: hdr, Body: &dnsmessage.AResource{A: [4]byte{127, 0, 0, 1}}})
	}
	if q.Type == dnsmessage.TypeAAAA || q.Type == dnsmessage.TypeALL {
		hdr.Type = dnsmessage.TypeAAAA
		a.answers = append(a.answers, dnsmessage.Resource{Header: hdr, Body: &dnsmessage.AAAAResource{AAAA: netip.IPv6Loopback().As16()}})
	}
	return a
}

// privateReverse reports reverse-lookup names of loopback and private
// IPv4 ranges, which must not leak to public resolvers (RFC 6303).
func privateReverse(name string) bool {
	rest, ok := strings.CutSuffix(name, ".in-addr.arpa.")
	if !ok {
		return false
	}
	labels := strings.Split(rest, ".")
	if len(labels) == 0 {
		return false
	}
	// Labels are in reverse: the first octet is last.
	oct := func(i int) int {
		if i < 0 || i >= len(labels) {
			return -1
		}
		n, err := strconv.Atoi(labels[len(labels)-1-i])
		if err != nil {
			return -1
		}
		return n
	}
	switch a, b := oct(0), oct(1); {
	case a == 10 || a == 127:
		return true
	case a == 172 && b >= 16 && b <= 31:
		return true
	case a == 192 && b == 168:
		return true
	case a == 169 && b == 254:
		return true
	}
	return false
}
