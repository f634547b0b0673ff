package lb

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/dataplane/lbstate"
)

// Upstream is one registered target as the proxy sees it: where to send
// requests, how many are in flight, and whether it may take new ones.
type Upstream struct {
	id           lbstate.TargetID
	host         string // IP to dial (the host address for instance targets)
	url          *url.URL
	registeredAt time.Time
	inflight     atomic.Int64

	// Guarded by the group's mutex.
	health     healthState
	draining   bool
	drainUntil time.Time
	stopCheck  context.CancelFunc // the health checker, nil when none runs
	// retired is set when a new registration of the same target replaced
	// u while it drained: u is no longer in the group, and ends (cancel)
	// when its last request does or when this timer fires at the end of
	// its drain.
	retired *time.Timer

	// ctx ends when the upstream is removed (drain over, or deregistered
	// with no drain), which cuts the requests still in flight.
	ctx    context.Context
	cancel context.CancelFunc
}

// Addr is the host:port requests go to.
func (u *Upstream) Addr() string { return u.url.Host }

// InFlight is the number of requests being proxied to u.
func (u *Upstream) InFlight() int64 { return u.inflight.Load() }

// group is a target group's live state: its upstreams, the ready ones, and
// the policy choosing among them.
type group struct {
	arn   string
	rec   lbstate.TargetGroup
	hc    healthConfig
	inUse bool // some listener forwards to it: health checks run

	mu        sync.RWMutex
	upstreams map[lbstate.TargetID]*Upstream
	ready     []*Upstream // not draining and healthy (or unchecked)
	policy    Policy
	algorithm string
}

func newGroup(rec lbstate.TargetGroup) *group {
	return &group{arn: *rec.TG.TargetGroupArn, upstreams: map[lbstate.TargetID]*Upstream{}}
}

// pick chooses an upstream for a request and counts it in flight; done
// must be called when the request ends. ok is false when none is ready.
func (g *group) pick(r *http.Request) (*Upstream, bool) {
	g.mu.RLock()
	defer g.mu.RUnlock()
	if len(g.ready) == 0 {
		return nil, false
	}
	u := g.policy.Select(g.ready, r)
	// Counted under the lock, so a drain that starts after this sees it.
	u.inflight.Add(1)
	return u, true
}

// hasReady reports whether some upstream can take a request.
func (g *group) hasReady() bool {
	g.mu.RLock()
	defer g.mu.RUnlock()
	return len(g.ready) > 0
}

// done ends a request; it reports whether u is draining and now idle.
// A retired u (see retireUpstream) ends with its last request.
func (g *group) done(u *Upstream) bool {
	if u.inflight.Add(-1) > 0 {
		return false
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	if u.retired != nil {
		// Read under the lock retireUpstream set it with; the count
		// cannot grow again, as u is in no ready list.
		u.retired.Stop()
		u.cancel()
		return false
	}
	return u.draining
}

// rebuildReady recomputes the ready list; callers hold g.mu.
func (g *group) rebuildReady() {
	ready := make([]*Upstream, 0, len(g.upstreams))
	for _, u := range g.upstreams {
		if u.draining {
			continue
		}
		if !g.hc.enabled || u.health.state == elbv2types.TargetHealthStateEnumHealthy {
			ready = append(ready, u)
		}
	}
	// A stable order keeps round robin fair across rebuilds.
	sortUpstreams(ready)
	g.ready = ready
}

func sortUpstreams(us []*Upstream) {
	for i := 1; i < len(us); i++ {
		for j := i; j > 0 && us[j].url.Host < us[j-1].url.Host; j-- {
			us[j], us[j-1] = us[j-1], us[j]
		}
	}
}

// newUpstream builds the upstream of a registration.
func newUpstream(parent context.Context, tg lbstate.TargetGroup, t lbstate.Target, hostIP string) *Upstream {
	addr := lbstate.TargetAddr(tg.TG.TargetType, t.TargetID, hostIP)
	host, _, _ := net.SplitHostPort(addr)
	scheme := "http"
	if tg.TG.Protocol == elbv2types.ProtocolEnumHttps {
		scheme = "https"
	}
	ctx, cancel := context.WithCancel(parent)
	return &Upstream{id: t.TargetID, host: host, url: &url.URL{Scheme: scheme, Host: addr},
		registeredAt: t.RegisteredAt, health: initialHealth(), ctx: ctx, cancel: cancel}
}
