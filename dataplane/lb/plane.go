package lb

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http/httputil"
	"strconv"
	"sync"
	"time"

	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/dataplane/lbstate"
	"github.com/wharfhq/wharf/store"
)

// Config is what the data plane needs.
type Config struct {
	DB store.Backend
	// HostIP is where task ports are published: instance targets are
	// reached there (127.0.0.1 when empty).
	HostIP string
	Log    *slog.Logger
	// Resync is how often the plane re-reads the store without a change
	// (retrying listeners whose port was busy); 5s when zero.
	Resync time.Duration
}

// Plane is the load balancer data plane: it serves every stored listener,
// health-checks the targets of the target groups listeners use, and ends
// drains. It reads the store through lbstate and writes only health and
// finished drains back.
type Plane struct {
	db     store.Backend
	log    *slog.Logger
	hostIP string
	resync time.Duration
	proxy  *httputil.ReverseProxy
	prober *prober
	kick   chan struct{}
	wg     sync.WaitGroup // listeners' servers, health checkers, shutdowns

	mu        sync.Mutex
	reserved  map[string]*reservation // by listener ARN
	listeners map[string]*listener    // by listener ARN
	groups    map[string]*group       // by target group ARN
	bindErr   map[string]string       // listener ARN → last bind error, logged once

	traffic traffic // CloudWatch counts (traffic.go)
}

// New returns a data plane; Run serves it.
func New(cfg Config) *Plane {
	if cfg.HostIP == "" {
		cfg.HostIP = "127.0.0.1"
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.Resync <= 0 {
		cfg.Resync = 5 * time.Second
	}
	p := &Plane{db: cfg.DB, log: cfg.Log, hostIP: cfg.HostIP, resync: cfg.Resync, prober: newProber(),
		kick: make(chan struct{}, 1), reserved: map[string]*reservation{}, listeners: map[string]*listener{},
		groups: map[string]*group{}, bindErr: map[string]string{}}
	p.proxy = newReverseProxy(p)
	return p
}

// poke asks Run for a pass without waiting for the store.
func (p *Plane) poke() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// Run serves until ctx ends, then closes every listener and stops every
// health checker before it returns.
func (p *Plane) Run(ctx context.Context) error {
	defer p.stopAll()
	for {
		err := p.watch(ctx)
		if ctx.Err() != nil {
			return nil
		}
		p.log.Warn("load balancer data plane resyncs", "err", err)
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

// watch loads the state, serves it, and re-serves after every change until
// the watch breaks or ctx ends.
func (p *Plane) watch(ctx context.Context) error {
	snap, err := p.load(ctx)
	if err != nil {
		return err
	}
	w, err := p.db.Watch(ctx, lbstate.Prefix, snap.Rev)
	if err != nil {
		return fmt.Errorf("watch %s: %w", lbstate.Prefix, err)
	}
	wake := p.apply(ctx, snap)
	timer := time.NewTimer(wake)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-w.C:
			if !ok {
				return fmt.Errorf("watch %s ended: %w", lbstate.Prefix, w.Err())
			}
			if lbstate.IsHealthKey(ev.KV.Key) {
				continue // our own writes
			}
		case <-p.kick:
		case <-timer.C:
		}
		if snap, err = p.load(ctx); err != nil {
			return err
		}
		timer.Reset(p.apply(ctx, snap))
	}
}

func (p *Plane) load(ctx context.Context) (*lbstate.Snapshot, error) {
	var snap *lbstate.Snapshot
	err := p.db.View(ctx, func(tx store.ReadTx) (err error) {
		snap, err = lbstate.Load(tx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("load load balancer state: %w", err)
	}
	return snap, nil
}

// drainEnd is a draining registration whose drain is over.
type drainEnd struct {
	tg   lbstate.TargetGroup
	id   lbstate.TargetID
	regd time.Time
}

// apply makes the running listeners, groups and checkers match snap, ends
// drains that are over, and returns how soon to look again.
func (p *Plane) apply(ctx context.Context, snap *lbstate.Snapshot) time.Duration {
	now := time.Now()
	wake := p.resync
	var ends []drainEnd
	func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		used := map[string]bool{}
		for _, l := range snap.Listeners {
			if _, ok := snap.LBByARN(shape.ToString(l.L.LoadBalancerArn)); !ok {
				continue
			}
			for _, arn := range lbstate.ActionTargetGroups(l.L.DefaultActions) {
				used[arn] = true
			}
			for _, r := range snap.Rules[shape.ToString(l.L.ListenerArn)] {
				for _, arn := range lbstate.ActionTargetGroups(r.R.Actions) {
					used[arn] = true
				}
			}
		}
		for arn, rec := range snap.TargetGroups {
			g := p.groups[arn]
			if g == nil {
				g = newGroup(rec)
				p.groups[arn] = g
			}
			e, next := p.updateGroup(ctx, g, rec, snap.Targets[arn], snap.Health[arn], used[arn], now)
			ends = append(ends, e...)
			wake = min(wake, next)
		}
		for arn, g := range p.groups {
			if _, ok := snap.TargetGroups[arn]; !ok {
				p.removeGroup(g)
				delete(p.groups, arn)
			}
		}
		p.applyListeners(ctx, snap, now)
	}()
	for _, e := range ends {
		p.endDrain(ctx, e)
	}
	return max(wake, 10*time.Millisecond)
}

// applyListeners starts, re-routes and stops listeners; callers hold p.mu.
func (p *Plane) applyListeners(ctx context.Context, snap *lbstate.Snapshot, now time.Time) {
	want := map[string]bool{}
	for _, l := range snap.Listeners {
		arn := shape.ToString(l.L.ListenerArn)
		lb, ok := snap.LBByARN(shape.ToString(l.L.LoadBalancerArn))
		if !ok {
			continue
		}
		want[arn] = true
		port := 0
		if l.L.Port != nil {
			port = int(*l.L.Port)
		}
		hostport := net.JoinHostPort(lb.Addr, strconv.Itoa(port))
		rt := compileRouter(l, snap.Rules[arn], func(a string) *group { return p.groups[a] })
		rt.idle = lb.IdleTimeout()
		cur := p.listeners[arn]
		if cur != nil && cur.addr == hostport {
			cur.router.Store(rt)
			continue
		}
		if cur != nil {
			p.stopListener(cur)
			delete(p.listeners, arn)
		}
		ln, err := p.takeListener(ctx, arn, hostport)
		if err != nil {
			if p.bindErr[arn] != err.Error() {
				p.bindErr[arn] = err.Error()
				p.log.Error("listener cannot bind its port; retrying", "listener", arn, "addr", hostport, "err", err)
			}
			continue
		}
		delete(p.bindErr, arn)
		p.listeners[arn] = p.startListener(ctx, arn, ln, port, rt, lb.IdleTimeout())
	}
	for arn, l := range p.listeners {
		if !want[arn] {
			p.stopListener(l)
			delete(p.listeners, arn)
		}
	}
	for arn := range p.bindErr {
		if !want[arn] {
			delete(p.bindErr, arn)
		}
	}
	for arn, r := range p.reserved {
		if !want[arn] && now.Sub(r.at) > reservationTTL {
			_ = r.ln.Close()
			delete(p.reserved, arn)
		}
	}
}

// updateGroup brings one group's upstreams and checkers in line with its
// records; it returns the drains that are over and when the next one ends.
// Callers hold p.mu.
func (p *Plane) updateGroup(ctx context.Context, g *group, rec lbstate.TargetGroup, targets []lbstate.Target, health map[lbstate.TargetID]lbstate.Health, inUse bool, now time.Time) ([]drainEnd, time.Duration) {
	g.mu.Lock()
	defer g.mu.Unlock()
	hc := healthConfigOf(rec.TG)
	restart := !sameHealthConfig(hc, g.hc) || inUse != g.inUse
	g.rec, g.hc, g.inUse = rec, hc, inUse
	if alg := rec.Algorithm(); alg != g.algorithm || g.policy == nil {
		g.algorithm, g.policy = alg, policyFor(alg)
	}
	wake := p.resync
	var ends []drainEnd
	present := map[lbstate.TargetID]bool{}
	for _, t := range targets {
		u := g.upstreams[t.TargetID]
		if u != nil && !u.registeredAt.Equal(t.RegisteredAt) {
			// Registered anew (re-registered while draining): the new
			// registration starts over with its own health, while the
			// requests still in flight on the old one finish.
			g.retireUpstream(u, now)
			u = nil
		}
		if u == nil {
			u = newUpstream(ctx, rec, t, p.hostIP)
			if h, ok := health[t.TargetID]; ok && h.RegisteredAt.Equal(t.RegisteredAt) {
				// After a restart, keep serving what was healthy.
				u.health = healthState{state: h.State, reason: h.Reason, description: h.Description}
			}
			g.upstreams[t.TargetID] = u
		}
		present[t.TargetID] = true
		u.draining, u.drainUntil = t.State == lbstate.TargetDraining, t.DrainUntil
		if u.draining {
			if u.InFlight() == 0 || !now.Before(u.drainUntil) {
				ends = append(ends, drainEnd{tg: rec, id: t.TargetID, regd: t.RegisteredAt})
			} else {
				wake = min(wake, u.drainUntil.Sub(now))
			}
		}
		check := inUse && hc.enabled && !u.draining
		if u.stopCheck != nil && (!check || restart) {
			u.stopCheck()
			u.stopCheck = nil
		}
		if check && u.stopCheck == nil {
			cctx, stop := context.WithCancel(u.ctx)
			u.stopCheck = stop
			p.wg.Go(func() { p.check(cctx, g, u, hc) })
		}
	}
	for id, u := range g.upstreams {
		if !present[id] {
			g.removeUpstream(u)
		}
	}
	g.rebuildReady()
	return ends, wake
}

// removeUpstream stops u's checker and cuts its requests; callers hold g.mu.
func (g *group) removeUpstream(u *Upstream) {
	if u.stopCheck != nil {
		u.stopCheck()
	}
	u.cancel()
	delete(g.upstreams, u.id)
}

// retireUpstream takes u out of the group like removeUpstream, but a
// draining u keeps its in-flight requests until they end or its drain
// deadline passes, whichever comes first: re-registering a target that is
// draining must not cut the requests its drain was letting finish.
// Callers hold g.mu.
func (g *group) retireUpstream(u *Upstream, now time.Time) {
	if !u.draining || !now.Before(u.drainUntil) || u.InFlight() == 0 {
		g.removeUpstream(u)
		return
	}
	if u.stopCheck != nil {
		u.stopCheck()
		u.stopCheck = nil
	}
	delete(g.upstreams, u.id)
	// done cancels u when its last request ends; this bounds the wait.
	u.retired = time.AfterFunc(u.drainUntil.Sub(now), u.cancel)
}

func (p *Plane) removeGroup(g *group) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, u := range g.upstreams {
		g.removeUpstream(u)
	}
	g.rebuildReady()
}

func sameHealthConfig(a, b healthConfig) bool {
	return a.enabled == b.enabled && a.scheme == b.scheme && a.port == b.port && a.path == b.path &&
		a.interval == b.interval && a.timeout == b.timeout && a.healthy == b.healthy &&
		a.unhealthy == b.unhealthy && a.matcherText == b.matcherText
}

// endDrain completes a deregistration: the registration and its health go,
// unless it was registered again meanwhile.
func (p *Plane) endDrain(ctx context.Context, e drainEnd) {
	sc := e.tg.Scope
	_, err := p.db.Update(ctx, func(tx store.Tx) error {
		t, ok, err := store.Get[lbstate.Target](tx, lbstate.TargetKey(sc, e.tg.ID, e.id))
		if err != nil || !ok || t.State != lbstate.TargetDraining || !t.RegisteredAt.Equal(e.regd) {
			return err
		}
		if err := tx.Delete(lbstate.TargetKey(sc, e.tg.ID, e.id)); err != nil {
			return err
		}
		return tx.Delete(lbstate.HealthKey(sc, e.tg.ID, e.id))
	})
	if err != nil && ctx.Err() == nil {
		p.log.Error("end target drain", "target_group", shape.ToString(e.tg.TG.TargetGroupArn), "target", e.id.String(), "err", err)
	}
}

// check runs one target's health checks until ctx ends.
func (p *Plane) check(ctx context.Context, g *group, u *Upstream, hc healthConfig) {
	timer := time.NewTimer(0) // the first check at once
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		start := time.Now()
		res := p.prober.probe(ctx, hc, u.host, u.id.Port)
		if ctx.Err() != nil {
			return
		}
		g.mu.Lock()
		prev := u.health
		next := nextHealth(prev, res, hc.healthy, hc.unhealthy)
		u.health = next
		if next.state != prev.state {
			g.rebuildReady()
		}
		rec := g.rec
		g.mu.Unlock()
		if next.state != prev.state || next.reason != prev.reason {
			p.log.Info("target health", "target_group", g.arn, "target", u.id.String(), "state", next.state, "reason", next.reason)
			p.writeHealth(ctx, rec, u, next)
		}
		timer.Reset(max(hc.interval-time.Since(start), 0))
	}
}

// writeHealth stores a registration's new health for DescribeTargetHealth.
func (p *Plane) writeHealth(ctx context.Context, tg lbstate.TargetGroup, u *Upstream, h healthState) {
	sc := tg.Scope
	_, err := p.db.Update(ctx, func(tx store.Tx) error {
		t, ok, err := store.Get[lbstate.Target](tx, lbstate.TargetKey(sc, tg.ID, u.id))
		if err != nil || !ok || !t.RegisteredAt.Equal(u.registeredAt) {
			return err
		}
		return store.Put(tx, lbstate.HealthKey(sc, tg.ID, u.id), lbstate.Health{
			State: h.state, Reason: h.reason, Description: h.description, RegisteredAt: u.registeredAt, Since: time.Now()})
	})
	if err != nil && ctx.Err() == nil {
		p.log.Error("store target health", "target_group", shape.ToString(tg.TG.TargetGroupArn), "target", u.id.String(), "err", err)
	}
}

// stopAll closes every listener and reservation, stops every checker, and
// waits for them.
func (p *Plane) stopAll() {
	p.mu.Lock()
	for arn, l := range p.listeners {
		p.stopListener(l)
		delete(p.listeners, arn)
	}
	for arn, r := range p.reserved {
		_ = r.ln.Close()
		delete(p.reserved, arn)
	}
	for arn, gr := range p.groups {
		p.removeGroup(gr)
		delete(p.groups, arn)
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// Health reports the data plane's current view of a target group's
// targets (for tests and diagnostics): target → state.
func (p *Plane) Health(tgARN string) map[string]elbv2types.TargetHealthStateEnum {
	p.mu.Lock()
	gr := p.groups[tgARN]
	p.mu.Unlock()
	out := map[string]elbv2types.TargetHealthStateEnum{}
	if gr == nil {
		return out
	}
	gr.mu.RLock()
	defer gr.mu.RUnlock()
	for id, u := range gr.upstreams {
		out[id.String()] = u.health.state
		if u.draining {
			out[id.String()] = elbv2types.TargetHealthStateEnumDraining
		}
	}
	return out
}
