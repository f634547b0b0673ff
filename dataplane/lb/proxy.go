package lb

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/http/httputil"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// forward sends a request to a target of one of its target groups.
type forward struct {
	groups  []*group // nil where a group no longer exists
	weights *weighted
}

type proxiedKey struct{}

// proxied is what the proxy's Rewrite needs to know about a request.
type proxied struct {
	u    *Upstream
	port int
}

func (f *forward) serve(l *listener, w http.ResponseWriter, r *http.Request) {
	p := l.plane
	var g *group
	if len(f.groups) == 1 {
		g = f.groups[0]
	} else if i := f.weights.pick(func(i int) bool { return f.groups[i] != nil && f.groups[i].hasReady() }); i >= 0 {
		g = f.groups[i]
	}
	if g == nil {
		p.answer(w, http.StatusServiceUnavailable)
		return
	}
	u, ok := g.pick(r)
	if !ok {
		p.answer(w, http.StatusServiceUnavailable)
		return
	}
	if sw, ok := w.(*statusWriter); ok {
		sw.tg = g.arn // the target's answer (traffic.go)
	}
	defer func() {
		if g.done(u) {
			p.poke() // a draining target went idle: its drain can end
		}
	}()
	// net/http cancels a request's context when the client's side of the
	// connection reaches EOF, which a client that half-closes after its
	// request (SHUT_WR, as `nc` does) causes at once; ELB still answers it.
	// So the proxied call does not end with the client's read side: it ends
	// when its target is removed (drain over), when writing the answer to
	// the client fails, or, as ELB's idle timeout does, when the target has
	// sent nothing for that long (504).
	ctx, cancel := context.WithCancelCause(context.WithoutCancel(r.Context()))
	defer cancel(nil)
	stop := context.AfterFunc(u.ctx, func() { cancel(errTargetRemoved) })
	defer stop()
	stopListener := context.AfterFunc(l.ctx, func() { cancel(context.Canceled) })
	defer stopListener()
	idle := l.router.Load().idle
	if idle <= 0 {
		idle = defaultIdle
	}
	var answered atomic.Bool
	timer := time.AfterFunc(idle, func() {
		if !answered.Load() { // a Reset racing the first byte must not cut the answer
			cancel(errIdleTimeout)
		}
	})
	defer timer.Stop()
	ctx = httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotFirstResponseByte: func() {
		answered.Store(true)
		timer.Stop()
	}})
	if r.Body != nil && r.Body != http.NoBody {
		// Data still coming from the client keeps the connection active.
		r.Body = &activeBody{ReadCloser: r.Body, timer: timer, idle: idle, answered: &answered}
	}
	ctx = context.WithValue(ctx, proxiedKey{}, proxied{u: u, port: l.port})
	p.proxy.ServeHTTP(w, r.WithContext(ctx))
}

// activeBody restarts the idle timer while the client is still sending
// its request body, until the target has begun to answer.
type activeBody struct {
	io.ReadCloser
	timer    *time.Timer
	idle     time.Duration
	answered *atomic.Bool
}

func (b *activeBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 && !b.answered.Load() {
		b.timer.Reset(b.idle)
	}
	return n, err
}

// defaultIdle is ELB's default idle timeout (idle_timeout.timeout_seconds).
const defaultIdle = 60 * time.Second

var (
	errIdleTimeout   = errors.New("lb: target sent nothing within the idle timeout")
	errTargetRemoved = errors.New("lb: target removed")
)

// newReverseProxy is the proxy every listener shares: HTTP/1.1 with
// keep-alive to targets, streaming responses flushed as they come, and
// protocol upgrades (websockets) passed through.
func newReverseProxy(p *Plane) *httputil.ReverseProxy {
	transport := &http.Transport{
		Proxy:                 nil,
		DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		IdleConnTimeout:       60 * time.Second,
		ExpectContinueTimeout: time.Second,
		// ELB does not verify the certificates of HTTPS targets.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true},
	}
	return &httputil.ReverseProxy{
		Rewrite:      rewrite,
		Transport:    transport,
		ErrorHandler: p.proxyError,
		BufferPool:   bufferPool{},
		ErrorLog:     slog.NewLogLogger(p.log.Handler(), slog.LevelDebug),
	}
}

// rewrite points the outgoing request at its target, keeping the Host the
// client asked for and adding ELB's X-Forwarded-* and trace headers.
func rewrite(pr *httputil.ProxyRequest) {
	px := pr.In.Context().Value(proxiedKey{}).(proxied)
	pr.SetURL(px.u.url)
	pr.Out.Host = pr.In.Host
	if prior, ok := pr.In.Header["X-Forwarded-For"]; ok {
		pr.Out.Header["X-Forwarded-For"] = prior
	}
	pr.SetXForwarded()
	pr.Out.Header.Del("X-Forwarded-Host")
	pr.Out.Header.Set("X-Forwarded-Proto", "http")
	pr.Out.Header.Set("X-Forwarded-Port", strconv.Itoa(px.port))
	if pr.In.Header.Get("X-Amzn-Trace-Id") == "" {
		pr.Out.Header.Set("X-Amzn-Trace-Id", traceID())
	}
}

// traceID is an X-Amzn-Trace-Id root: Root=1-<epoch hex>-<24 hex digits>.
func traceID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("Root=1-%08x-%s", time.Now().Unix(), hex.EncodeToString(b[:]))
}

// proxyError answers for a target that failed: 504 when it timed out, 502
// otherwise, as ELB does.
func (p *Plane) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	status := http.StatusBadGateway
	if sw, ok := w.(*statusWriter); ok {
		sw.elb = true // HTTPCode_ELB_5XX, not the target's
	}
	cause := context.Cause(r.Context())
	if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) || errors.Is(cause, errIdleTimeout) {
		status = http.StatusGatewayTimeout
	}
	if cause != nil && !errors.Is(cause, errIdleTimeout) && errors.Is(err, context.Canceled) {
		p.log.Debug("proxied request ended early", "err", err)
	} else {
		p.log.Debug("target failed", "err", err, "status", status)
	}
	p.answer(w, status)
}

// answer sends one of the load balancer's own responses.
func (p *Plane) answer(w http.ResponseWriter, status int) {
	body := errorPage(status)
	w.Header().Set("Server", "awselb/2.0")
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// bufferPool recycles the proxy's 32 KiB copy buffers across requests.
type bufferPool struct{}

var buffers = sync.Pool{New: func() any { return new([32 << 10]byte) }}

func (bufferPool) Get() []byte  { return buffers.Get().(*[32 << 10]byte)[:] }
func (bufferPool) Put(b []byte) { buffers.Put((*[32 << 10]byte)(b)) }
