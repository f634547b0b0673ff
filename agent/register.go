package agent

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/wharfhq/wharf/agent/runner"
	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/runtime/docker"
)

// Registration runs beside the poll loop, not before it: the embedded
// agent is a container instance in every ACTIVE cluster of every region,
// and on a start with thousands of clusters re-registering in each before
// the first poll kept tasks waiting and /_wharf/health at 503 for a minute
// and more. So the poll loop adopts and runs the tasks at once and hands
// the clusters it should serve to the registrar, which joins them in
// batches of one region (agentproto.RegisterPath: one call, one store
// transaction and one agent.json write per batch), with one `docker info`
// per start:
//
//	poll ──▶ sync tasks ──▶ ready (health 200) ──▶ poll …
//	  │
//	  └─ clusters ──▶ registrar: new clusters first, then the re-registrations,
//	                  batch by batch, until every wanted cluster is done
//
// Clusters the node is not yet an instance of go first: a RunTask into a
// just-created cluster waits for the agent to join it, while a cluster it
// already serves keeps its instance (same ARN) from before the restart.
const (
	// registerBatch is the clusters per bulk call (agentproto.MaxRegisterBatch
	// says why not fewer).
	registerBatch = agentproto.MaxRegisterBatch
	// registerRetry is how long a cluster that refused the node (gone,
	// INACTIVE) waits before it is tried again, if still wanted.
	registerRetry = 30 * time.Second
)

// registrar keeps the node registered in the clusters it should serve.
type registrar struct {
	nodeID string
	id     *identity
	log    *slog.Logger
	// info is the host's resources; asked once per start.
	info func(ctx context.Context) (docker.Info, error)
	// request is the registration, without cluster, for region.
	request func(region string, info docker.Info) ecstypes.RegisterContainerInstanceRequest
	// bulk registers a batch (agentproto.RegisterPath); one registers in
	// one cluster named other than by ARN (RegisterContainerInstance).
	bulk  func(ctx context.Context, req agentproto.RegisterRequest) (*agentproto.RegisterResponse, error)
	one   func(ctx context.Context, region string, in ecstypes.RegisterContainerInstanceRequest) (string, error)
	sleep func(ctx context.Context, d time.Duration) bool
	now   func() time.Time

	mu      sync.Mutex
	want    []string
	hasWant bool
	kick    chan struct{}
	err     error // the last failed call, until one succeeds
}

func newRegistrar(a *Agent) *registrar {
	return &registrar{
		nodeID:  a.id.NodeID,
		id:      a.id,
		log:     a.cfg.Log,
		info:    a.cfg.Runtime.Info,
		request: a.registration,
		bulk:    a.cl.register,
		one: func(ctx context.Context, region string, in ecstypes.RegisterContainerInstanceRequest) (string, error) {
			var out ecstypes.RegisterContainerInstanceResponse
			if err := a.cl.callECS(ctx, region, "RegisterContainerInstance", in, &out); err != nil {
				return "", err
			}
			return *out.ContainerInstance.ContainerInstanceArn, nil
		},
		sleep: runner.Sleep,
		now:   time.Now,
		kick:  make(chan struct{}, 1),
	}
}

// setWant names the clusters the node should serve now (the latest call
// wins) and wakes the registrar.
func (r *registrar) setWant(clusters []string) {
	r.mu.Lock()
	r.want, r.hasWant = clusters, true
	r.mu.Unlock()
	select {
	case r.kick <- struct{}{}:
	default:
	}
}

func (r *registrar) wanted() ([]string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.want, r.hasWant
}

// health is the last registration call's failure, nil once one works.
func (r *registrar) health() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

func (r *registrar) setErr(err error) {
	r.mu.Lock()
	r.err = err
	r.mu.Unlock()
}

// run registers until ctx ends.
func (r *registrar) run(ctx context.Context) {
	done := map[string]bool{}        // registered since this start
	failed := map[string]time.Time{} // refused, by when
	var info *docker.Info
	b := backoff{min: startMinBackoff, max: startMaxBackoff}
	var started time.Time
	for {
		want, ok := r.wanted()
		var next time.Duration // >0: wake then to retry refused clusters
		if ok {
			if err := r.prune(want, done, failed); err != nil {
				r.log.Warn("agent: cannot save its identity", "err", err)
			}
			now := r.now()
			batch := planBatch(want, done, failed, now, r.id.instance, registerBatch)
			if len(batch) > 0 {
				if started.IsZero() {
					started = now
				}
				err := r.registerBatch(ctx, &info, batch, done, failed)
				if err == nil {
					r.setErr(nil)
					b = backoff{min: startMinBackoff, max: startMaxBackoff}
					continue
				}
				if ctx.Err() != nil {
					return
				}
				r.setErr(err)
				wait := b.next()
				r.log.Warn("agent: cannot register; retrying", "err", err, "in", wait)
				if !r.sleep(ctx, wait) {
					return
				}
				continue
			}
			if !started.IsZero() {
				r.log.Info("agent: registered", "clusters", len(done), "in", r.now().Sub(started).Round(time.Millisecond))
				started = time.Time{}
			}
			next = retryIn(failed, now)
		}
		if !r.wait(ctx, next) {
			return
		}
	}
}

// wait waits for a new want, or d (0: no limit); false when ctx ended.
func (r *registrar) wait(ctx context.Context, d time.Duration) bool {
	var timer <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timer = t.C
	}
	select {
	case <-ctx.Done():
		return false
	case <-r.kick:
	case <-timer:
	}
	return true
}

// prune forgets the clusters no longer wanted, here and in the identity.
func (r *registrar) prune(want []string, done map[string]bool, failed map[string]time.Time) error {
	keep := make(map[string]bool, len(want))
	for _, c := range want {
		keep[c] = true
	}
	for c := range done {
		if !keep[c] {
			delete(done, c)
		}
	}
	for c := range failed {
		if !keep[c] {
			delete(failed, c)
		}
	}
	return r.id.forget(keep)
}

// planBatch picks the next clusters to register, all of one region and at
// most max: those wanted, not registered since this start and not refused
// within registerRetry; the node's new clusters before those it was in
// before (instance returns the instance ARN it had there, "" if none).
func planBatch(want []string, done map[string]bool, failed map[string]time.Time, now time.Time, instance func(string) string, max int) []string {
	var fresh, again []string
	for _, c := range want {
		if done[c] {
			continue
		}
		if at, ok := failed[c]; ok && now.Sub(at) < registerRetry {
			continue
		}
		if instance(c) == "" {
			fresh = append(fresh, c)
		} else {
			again = append(again, c)
		}
	}
	pending := append(fresh, again...)
	if len(pending) == 0 {
		return nil
	}
	region := batchKey(pending[0])
	var batch []string
	for _, c := range pending {
		if len(batch) == max {
			break
		}
		if batchKey(c) == region {
			batch = append(batch, c)
		}
	}
	return batch
}

// batchKey groups the clusters that can share a bulk call: ARNs by region;
// a cluster named otherwise goes alone (RegisterContainerInstance).
func batchKey(cluster string) string {
	if !strings.HasPrefix(cluster, "arn:") {
		return "name:" + cluster
	}
	return regionOf(cluster)
}

// retryIn is how long until the first refused cluster may be tried again
// (0: none is waiting).
func retryIn(failed map[string]time.Time, now time.Time) time.Duration {
	var next time.Duration
	for _, at := range failed {
		d := max(registerRetry-now.Sub(at), time.Millisecond)
		if next == 0 || d < next {
			next = d
		}
	}
	return next
}

// registerBatch registers the node in batch (one region) and saves the
// instances in one identity write. A cluster that refuses is noted in
// failed; an error is a call that failed as a whole.
func (r *registrar) registerBatch(ctx context.Context, info **docker.Info, batch []string, done map[string]bool, failed map[string]time.Time) error {
	if *info == nil {
		in, err := r.info(ctx)
		if err != nil {
			return fmt.Errorf("agent: cannot register: %w", err)
		}
		*info = &in
	}
	region := regionOf(batch[0])
	in := r.request(region, **info)
	got := map[string]string{}
	if !strings.HasPrefix(batch[0], "arn:") {
		// A cluster named by the configuration: the ECS call, which also
		// creates the default cluster as ECS does.
		c := batch[0]
		in.Cluster = new(c)
		if prev := r.id.instance(c); prev != "" {
			in.ContainerInstanceArn = new(prev)
		}
		arn, err := r.one(ctx, region, in)
		if err != nil && in.ContainerInstanceArn != nil {
			// The old instance is gone (its cluster was re-created).
			in.ContainerInstanceArn = nil
			arn, err = r.one(ctx, region, in)
		}
		if err != nil {
			return fmt.Errorf("register in %s: %w", c, err)
		}
		got[c] = arn
	} else {
		req := agentproto.RegisterRequest{NodeID: r.nodeID, Region: region, Instance: in}
		for _, c := range batch {
			req.Clusters = append(req.Clusters, agentproto.RegisterCluster{ClusterARN: c, ContainerInstanceARN: r.id.instance(c)})
		}
		resp, err := r.bulk(ctx, req)
		if err != nil {
			return fmt.Errorf("register in %d clusters of %s: %w", len(batch), region, err)
		}
		for _, res := range resp.Results {
			if res.Error != "" || res.ContainerInstanceARN == "" {
				r.log.Warn("agent: cluster refused the registration", "cluster", res.ClusterARN, "err", res.Error)
				failed[res.ClusterARN] = r.now()
				continue
			}
			got[res.ClusterARN] = res.ContainerInstanceARN
		}
	}
	for _, c := range batch {
		if _, ok := got[c]; ok {
			done[c] = true
			delete(failed, c)
		} else if _, ok := failed[c]; !ok {
			failed[c] = r.now() // not answered: try again later
		}
	}
	r.log.Debug("agent: registered a batch", "region", region, "clusters", len(got))
	return r.id.setInstances(got)
}
