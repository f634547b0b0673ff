package lb

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// listener is one bound listener port serving HTTP through its router.
type listener struct {
	arn    string
	addr   string // host:port
	port   int
	ln     net.Listener
	srv    *http.Server
	router atomic.Pointer[router]
	plane  *Plane
	// cancel ends ctx, the context of the listener's requests, which
	// closes the upgraded (websocket) connections Shutdown does not track.
	ctx      context.Context
	cancel   context.CancelFunc
	stopping atomic.Bool
}

func (l *listener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	sw, start := &statusWriter{ResponseWriter: w}, time.Now() // counted for CloudWatch (traffic.go)
	defer func() { l.plane.traffic.count(l.arn, sw, time.Since(start)) }()
	act := l.router.Load().match(r)
	if act == nil {
		l.plane.answer(sw, http.StatusServiceUnavailable)
		return
	}
	act.serve(l, sw, r)
}

// reservation is a port bound by Reserve for a listener being created.
type reservation struct {
	ln   net.Listener
	addr string
	at   time.Time
}

// reservationTTL is how long a reserved port waits for its listener's
// record; the API releases it sooner when its transaction fails.
const reservationTTL = 30 * time.Second

// Reserve binds addr:port for the listener arn before the API stores it:
// the error says why the port cannot be had ("bind: address already in
// use"). The data plane adopts the socket when the listener's record
// appears; release gives it back if the record is never written.
func (p *Plane) Reserve(ctx context.Context, arn, addr string, port int) (release func(), err error) {
	hostport := net.JoinHostPort(addr, strconv.Itoa(port))
	p.mu.Lock()
	if l := p.listeners[arn]; l != nil && l.addr == hostport {
		p.mu.Unlock()
		return func() {}, nil
	}
	p.mu.Unlock()
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", hostport)
	if err != nil {
		return nil, err
	}
	r := &reservation{ln: ln, addr: hostport, at: time.Now()}
	p.mu.Lock()
	if old := p.reserved[arn]; old != nil {
		_ = old.ln.Close()
	}
	p.reserved[arn] = r
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.reserved[arn] == r {
			delete(p.reserved, arn)
			_ = r.ln.Close()
		}
	}, nil
}

// takeListener returns the reserved socket for arn at hostport, or binds
// one (after a restart, or when the reservation was for another port).
// Callers hold p.mu.
func (p *Plane) takeListener(ctx context.Context, arn, hostport string) (net.Listener, error) {
	if r := p.reserved[arn]; r != nil {
		delete(p.reserved, arn)
		if r.addr == hostport {
			return r.ln, nil
		}
		_ = r.ln.Close()
	}
	var lc net.ListenConfig
	return lc.Listen(ctx, "tcp", hostport)
}

// startListener serves on ln until stopListener or the plane's end.
// Callers hold p.mu.
func (p *Plane) startListener(ctx context.Context, arn string, ln net.Listener, port int, rt *router, idle time.Duration) *listener {
	lctx, cancel := context.WithCancel(ctx)
	l := &listener{arn: arn, addr: ln.Addr().String(), port: port, ln: ln, plane: p, ctx: lctx, cancel: cancel}
	l.router.Store(rt)
	l.srv = &http.Server{
		Handler:           l,
		ReadHeaderTimeout: 30 * time.Second,
		IdleTimeout:       idle,
		BaseContext:       func(net.Listener) context.Context { return lctx },
		ErrorLog:          slog.NewLogLogger(p.log.Handler(), slog.LevelDebug),
	}
	p.wg.Go(func() {
		err := l.srv.Serve(ln)
		if err != nil && !errors.Is(err, http.ErrServerClosed) && !l.stopping.Load() {
			p.log.Error("listener stopped serving", "listener", arn, "addr", l.addr, "err", err)
		}
	})
	p.log.Info("listener serving", "listener", arn, "addr", l.addr)
	return l
}

// stopListener frees the port at once, then lets in-flight requests finish
// for a short grace period in the background.
func (p *Plane) stopListener(l *listener) {
	l.stopping.Store(true)
	_ = l.ln.Close()
	p.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
		defer cancel()
		if err := l.srv.Shutdown(ctx); err != nil {
			_ = l.srv.Close()
		}
		l.cancel()
	})
	p.log.Info("listener stopped", "listener", l.arn, "addr", l.addr)
}

// shutdownGrace bounds how long a stopped listener's requests may run on.
const shutdownGrace = 2 * time.Second
