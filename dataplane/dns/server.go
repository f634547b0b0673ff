package dns

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"github.com/wharfhq/wharf/dataplane/sdstate"
	"github.com/wharfhq/wharf/store"
)

// Config is what the DNS server needs.
type Config struct {
	DB store.Backend
	// Listen is the HOST:PORT answering on UDP and TCP (port 0 picks one).
	Listen string
	// ContainerIP is an address containers reach (the Docker bridge's
	// gateway, see BridgeIP) to serve on port 53 as well, since a
	// container's resolver takes no port. "" serves no containers; an
	// address that cannot be bound is logged and skipped.
	ContainerIP string
	// Upstreams answer names outside wharf's namespaces (HOST:PORT); nil
	// means the nameservers of /etc/resolv.conf, empty means none
	// (REFUSED).
	Upstreams []string
	Log       *slog.Logger
}

// Server answers DNS queries for Cloud Map's DNS namespaces from the store
// and forwards the rest upstream.
type Server struct {
	db          store.Backend
	log         *slog.Logger
	upstreams   []string
	addr        string
	containerIP string
	udp         []net.PacketConn
	tcp         []net.Listener
	idx         atomic.Pointer[index]
	forwards    chan struct{} // bounds concurrent forwarded queries
	wg          sync.WaitGroup
}

// New binds the server's sockets (so a busy address fails here, at start)
// without serving yet; Run serves.
func New(cfg Config) (*Server, error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	s := &Server{db: cfg.DB, log: cfg.Log, upstreams: cfg.Upstreams, forwards: make(chan struct{}, 256)}
	if s.upstreams == nil {
		s.upstreams = resolvConfServers("/etc/resolv.conf")
	}
	s.idx.Store(&index{zones: map[string]zone{}, names: map[string]*rrsets{}})
	udp, tcp, err := listenPair(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("dns: listen on %s: %w", cfg.Listen, err)
	}
	s.udp, s.tcp, s.addr = []net.PacketConn{udp}, []net.Listener{tcp}, udp.LocalAddr().String()
	if cfg.ContainerIP != "" {
		addr := net.JoinHostPort(cfg.ContainerIP, "53")
		if cu, ct, err := listenPair(addr); err != nil {
			s.log.Warn("DNS for containers is off: cannot listen on the Docker bridge", "addr", addr, "err", err)
		} else {
			s.udp, s.tcp, s.containerIP = append(s.udp, cu), append(s.tcp, ct), cfg.ContainerIP
		}
	}
	return s, nil
}

// listenPair binds UDP and TCP on one address; with port 0, both on the
// same port.
func listenPair(addr string) (net.PacketConn, net.Listener, error) {
	var lastErr error
	for range 10 {
		udp, err := net.ListenPacket("udp", addr)
		if err != nil {
			return nil, nil, err
		}
		tcp, err := net.Listen("tcp", udp.LocalAddr().String())
		if err == nil {
			return udp, tcp, nil
		}
		udp.Close()
		lastErr = err
		if _, port, _ := net.SplitHostPort(addr); port != "0" {
			break
		}
	}
	return nil, nil, lastErr
}

// Addr is the HOST:PORT the server answers on.
func (s *Server) Addr() string { return s.addr }

// ContainerIP is the address containers use as their DNS server (port
// 53), or "" when the server does not serve containers.
func (s *Server) ContainerIP() string { return s.containerIP }

// Run serves until ctx ends, then closes the sockets and returns once
// every query in progress is done.
func (s *Server) Run(ctx context.Context) error {
	for _, c := range s.udp {
		s.wg.Go(func() { s.serveUDP(ctx, c) })
	}
	for _, l := range s.tcp {
		s.wg.Go(func() { s.serveTCP(ctx, l) })
	}
	s.publish(ctx)
	s.log.Info("DNS server answering", "addr", s.addr, "containers", s.containerIP, "upstreams", s.upstreams)
	for ctx.Err() == nil {
		if err := s.watch(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("DNS server resyncs", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}
	for _, c := range s.udp {
		_ = c.Close()
	}
	for _, l := range s.tcp {
		_ = l.Close()
	}
	s.wg.Wait()
	s.unpublish()
	return nil
}

// watch keeps the index current with the store until the watch breaks.
func (s *Server) watch(ctx context.Context) error {
	rev, err := s.reload(ctx)
	if err != nil {
		return err
	}
	w, err := s.db.Watch(ctx, sdstate.Prefix, rev)
	if err != nil {
		return fmt.Errorf("watch %s: %w", sdstate.Prefix, err)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case _, ok := <-w.C:
			if !ok {
				return fmt.Errorf("watch %s ended: %w", sdstate.Prefix, w.Err())
			}
		}
		// Take every change already queued, then rebuild once.
	drain:
		for {
			select {
			case _, ok := <-w.C:
				if !ok {
					return fmt.Errorf("watch %s ended: %w", sdstate.Prefix, w.Err())
				}
			default:
				break drain
			}
		}
		if _, err := s.reload(ctx); err != nil {
			return err
		}
	}
}

func (s *Server) reload(ctx context.Context) (int64, error) {
	var snap *sdstate.Snapshot
	err := s.db.View(ctx, func(tx store.ReadTx) (err error) {
		snap, err = sdstate.Load(tx)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("load Cloud Map state: %w", err)
	}
	s.idx.Store(buildIndex(snap))
	return snap.Rev, nil
}

func (s *Server) serveUDP(ctx context.Context, c net.PacketConn) {
	buf := make([]byte, 65535)
	for {
		n, from, err := c.ReadFrom(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return
			}
			continue
		}
		resp, fwd := s.respond(buf[:n], false)
		if !fwd {
			if resp != nil {
				_, _ = c.WriteTo(resp, from)
			}
			continue
		}
		select {
		case s.forwards <- struct{}{}:
		default:
			_, _ = c.WriteTo(failure(buf[:n], dnsmessage.RCodeServerFailure), from) // too many in flight
			continue
		}
		query := append([]byte(nil), buf[:n]...)
		s.wg.Go(func() {
			defer func() { <-s.forwards }()
			_, _ = c.WriteTo(s.forward(ctx, query, false), from)
		})
	}
}

func (s *Server) serveTCP(ctx context.Context, l net.Listener) {
	for {
		conn, err := l.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) || ctx.Err() != nil {
				return
			}
			continue
		}
		s.wg.Go(func() { s.serveConn(ctx, conn) })
	}
}

// serveConn answers length-prefixed queries on one TCP connection until it
// is idle for 10 seconds or the server stops.
func (s *Server) serveConn(ctx context.Context, conn net.Conn) {
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	for {
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		query, err := readTCP(conn)
		if err != nil {
			return
		}
		resp, fwd := s.respond(query, true)
		if fwd {
			resp = s.forward(ctx, query, true)
		}
		if resp == nil {
			return
		}
		if err := writeTCP(conn, resp); err != nil {
			return
		}
	}
}

func readTCP(conn net.Conn) ([]byte, error) {
	var l [2]byte
	if _, err := readFull(conn, l[:]); err != nil {
		return nil, err
	}
	msg := make([]byte, int(l[0])<<8|int(l[1]))
	_, err := readFull(conn, msg)
	return msg, err
}

func readFull(conn net.Conn, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		m, err := conn.Read(b[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

func writeTCP(conn net.Conn, msg []byte) error {
	out := make([]byte, 2+len(msg))
	out[0], out[1] = byte(len(msg)>>8), byte(len(msg))
	copy(out[2:], msg)
	_, err := conn.Write(out)
	return err
}

// respond answers one query from the index; fwd asks the caller to forward
// it upstream instead. A message that is not a query gets no answer.
func (s *Server) respond(msg []byte, tcp bool) (resp []byte, fwd bool) {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil || h.Response {
		return nil, false
	}
	if h.OpCode != 0 {
		return failure(msg, dnsmessage.RCodeNotImplemented), false
	}
	q, err := p.Question()
	if err != nil {
		return failure(msg, dnsmessage.RCodeFormatError), false
	}
	size, edns := 512, false
	if p.SkipAllQuestions() == nil && p.SkipAllAnswers() == nil && p.SkipAllAuthorities() == nil {
		for {
			rh, err := p.AdditionalHeader()
			if err != nil {
				break
			}
			if rh.Type == dnsmessage.TypeOPT {
				edns, size = true, min(max(int(rh.Class), 512), maxUDP)
			}
			if p.SkipAdditional() != nil {
				break
			}
		}
	}
	a := s.idx.Load().lookup(q)
	if a.forward {
		if len(s.upstreams) == 0 {
			return failure(msg, dnsmessage.RCodeRefused), false
		}
		return nil, true
	}
	out, err := build(h, q, a, edns, false)
	if err == nil && !tcp && len(out) > size {
		out, err = build(h, q, a, edns, true)
	}
	if err != nil {
		s.log.Debug("DNS answer could not be built", "name", q.Name.String(), "err", err)
		return failure(msg, dnsmessage.RCodeServerFailure), false
	}
	return out, false
}

// maxUDP is the largest UDP answer wharf sends (the DNS flag day's 1232).
const maxUDP = 1232

// build writes the response to q; truncated leaves the records out and
// sets TC, so the client asks again over TCP.
func build(h dnsmessage.Header, q dnsmessage.Question, a answer, edns, truncated bool) ([]byte, error) {
	b := dnsmessage.NewBuilder(make([]byte, 0, 512), dnsmessage.Header{ID: h.ID, Response: true, OpCode: h.OpCode,
		Authoritative: a.authoritative, Truncated: truncated, RecursionDesired: h.RecursionDesired, RecursionAvailable: true, RCode: a.rcode})
	b.EnableCompression()
	if err := b.StartQuestions(); err != nil {
		return nil, err
	}
	if err := b.Question(q); err != nil {
		return nil, err
	}
	if !truncated {
		if err := b.StartAnswers(); err != nil {
			return nil, err
		}
		if err := addAll(&b, a.answers); err != nil {
			return nil, err
		}
		if err := b.StartAuthorities(); err != nil {
			return nil, err
		}
		if err := addAll(&b, a.authority); err != nil {
			return nil, err
		}
	}
	if err := b.StartAdditionals(); err != nil {
		return nil, err
	}
	if !truncated {
		if err := addAll(&b, a.additional); err != nil {
			return nil, err
		}
	}
	if edns {
		var rh dnsmessage.ResourceHeader
		if err := rh.SetEDNS0(maxUDP, dnsmessage.RCodeSuccess, false); err != nil {
			return nil, err
		}
		if err := b.OPTResource(rh, dnsmessage.OPTResource{}); err != nil {
			return nil, err
		}
	}
	return b.Finish()
}

func addAll(b *dnsmessage.Builder, rs []dnsmessage.Resource) error {
	for _, r := range rs {
		var err error
		switch body := r.Body.(type) {
		case *dnsmessage.AResource:
			err = b.AResource(r.Header, *body)
		case *dnsmessage.AAAAResource:
			err = b.AAAAResource(r.Header, *body)
		case *dnsmessage.SRVResource:
			err = b.SRVResource(r.Header, *body)
		case *dnsmessage.CNAMEResource:
			err = b.CNAMEResource(r.Header, *body)
		case *dnsmessage.SOAResource:
			err = b.SOAResource(r.Header, *body)
		default:
			err = fmt.Errorf("dns: cannot write a %T record", body)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// failure answers msg with rcode and no records (nil if msg has no header).
func failure(msg []byte, rcode dnsmessage.RCode) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil {
		return nil
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: h.ID, Response: true, OpCode: h.OpCode,
		RecursionDesired: h.RecursionDesired, RecursionAvailable: true, RCode: rcode})
	if q, err := p.Question(); err == nil {
		_ = b.StartQuestions()
		_ = b.Question(q)
	}
	out, err := b.Finish()
	if err != nil {
		return nil
	}
	return out
}

// forward asks the upstream resolvers in turn and relays the first answer;
// SERVFAIL when none answers within two seconds each.
func (s *Server) forward(ctx context.Context, query []byte, tcp bool) []byte {
	network := "udp"
	if tcp {
		network = "tcp"
	}
	for _, up := range s.upstreams {
		resp, err := exchange(ctx, network, up, query)
		if err == nil {
			return resp
		}
		s.log.Debug("DNS upstream failed", "upstream", up, "err", err)
	}
	return failure(query, dnsmessage.RCodeServerFailure)
}

// exchange sends one query to addr and reads the answer with the same id.
func exchange(ctx context.Context, network, addr string, query []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if network == "tcp" {
		if err := writeTCP(conn, query); err != nil {
			return nil, err
		}
		return readTCP(conn)
	}
	if _, err := conn.Write(query); err != nil {
		return nil, err
	}
	buf := make([]byte, 65535)
	for {
		n, err := conn.Read(buf)
		if err != nil {
			return nil, err
		}
		if n >= 2 && buf[0] == query[0] && buf[1] == query[1] {
			return buf[:n], nil
		}
	}
}
