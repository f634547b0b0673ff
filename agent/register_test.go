package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/runtime/docker"
)

func clusterARN(region string, i int) string {
	return fmt.Sprintf("arn:aws:ecs:%s:000000000000:cluster/c%05d", region, i)
}

func TestPlanBatch(t *testing.T) {
	east := func(i int) string { return clusterARN("us-east-1", i) }
	west := func(i int) string { return clusterARN("eu-west-1", i) }
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	known := map[string]string{east(1): "ci-1", east(2): "ci-2", west(1): "ci-w1"}
	instance := func(c string) string { return known[c] }
	for _, tc := range []struct {
		name   string
		want   []string
		done   map[string]bool
		failed map[string]time.Time
		max    int
		batch  []string
	}{
		{name: "nothing wanted", max: 10},
		{name: "all done", want: []string{east(1), east(3)}, done: map[string]bool{east(1): true, east(3): true}, max: 10},
		{name: "new clusters before re-registrations", want: []string{east(1), east(2), east(3), east(4)}, max: 10,
			batch: []string{east(3), east(4), east(1), east(2)}},
		{name: "one region per batch, the first new cluster's", want: []string{east(1), west(2), east(3), west(1)}, max: 10,
			batch: []string{west(2), west(1)}},
		{name: "at most max", want: []string{east(3), east(4), east(5), east(1)}, max: 2,
			batch: []string{east(3), east(4)}},
		{name: "done ones skipped", want: []string{east(3), east(4), east(1)}, done: map[string]bool{east(3): true}, max: 10,
			batch: []string{east(4), east(1)}},
		{name: "refused lately waits", want: []string{east(3), east(1)}, failed: map[string]time.Time{east(3): now.Add(-time.Second)}, max: 10,
			batch: []string{east(1)}},
		{name: "refused long ago is tried again", want: []string{east(3), east(1)}, failed: map[string]time.Time{east(3): now.Add(-registerRetry)}, max: 10,
			batch: []string{east(3), east(1)}},
		{name: "a cluster named, not an ARN, goes alone", want: []string{"default", east(3)}, max: 10,
			batch: []string{"default"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := planBatch(tc.want, tc.done, tc.failed, now, instance, tc.max)
			if !slices.Equal(got, tc.batch) {
				t.Fatalf("batch %v, want %v", got, tc.batch)
			}
		})
	}
}

// fakePlane answers bulk registrations as the control plane does: the same
// instance ARN when one is given, a new one otherwise; refuse names
// clusters that refuse, fail makes the next calls fail whole.
type fakePlane struct {
	mu     sync.Mutex
	reqs   []agentproto.RegisterRequest
	refuse map[string]bool
	fail   int
	infos  int
	block  chan struct{} // when set, calls wait for it to close
}

func (p *fakePlane) bulk(ctx context.Context, req agentproto.RegisterRequest) (*agentproto.RegisterResponse, error) {
	if p.block != nil {
		select {
		case <-p.block:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fail > 0 {
		p.fail--
		return nil, errors.New("register: 500 Internal Server Error: register failed")
	}
	p.reqs = append(p.reqs, req)
	out := &agentproto.RegisterResponse{}
	for _, c := range req.Clusters {
		res := agentproto.RegisterResult{ClusterARN: c.ClusterARN, ContainerInstanceARN: c.ContainerInstanceARN}
		switch {
		case p.refuse[c.ClusterARN]:
			res = agentproto.RegisterResult{ClusterARN: c.ClusterARN, Error: "ClusterNotFoundException: Cluster not found."}
		case res.ContainerInstanceARN == "":
			res.ContainerInstanceARN = c.ClusterARN + "/new"
		}
		out.Results = append(out.Results, res)
	}
	return out, nil
}

func (p *fakePlane) requests() []agentproto.RegisterRequest {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.reqs)
}

// fakeClock is a time the test moves.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func testRegistrar(t *testing.T, p *fakePlane) (*registrar, *fakeClock) {
	t.Helper()
	id, err := loadIdentity(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	r := &registrar{
		nodeID: id.NodeID, id: id, log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		info: func(context.Context) (docker.Info, error) {
			p.mu.Lock()
			p.infos++
			p.mu.Unlock()
			return docker.Info{NCPU: 2, MemTotal: 4 << 30, ServerVersion: "20.10"}, nil
		},
		request: func(region string, info docker.Info) ecstypes.RegisterContainerInstanceRequest {
			return ecstypes.RegisterContainerInstanceRequest{Attributes: []ecstypes.Attribute{{Name: new("ecs.availability-zone"), Value: new(region + "a")}}}
		},
		bulk: p.bulk,
		one: func(context.Context, string, ecstypes.RegisterContainerInstanceRequest) (string, error) {
			return "", errors.New("not by name in this test")
		},
		sleep: func(context.Context, time.Duration) bool { return true },
		now:   clock.now,
		kick:  make(chan struct{}, 1),
	}
	return r, clock
}

func runRegistrar(t *testing.T, r *registrar) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); r.run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// waitFor polls cond until it holds or 10 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

func (id *identity) count() (instances, saves int) {
	id.mu.Lock()
	defer id.mu.Unlock()
	return len(id.Instances), id.saves
}

// TestRegistrarJoinsInBatches: 1,200 clusters in two regions, 1,150 of
// which the node served before the restart, are joined in batches of one
// region with one `docker info`, one call and at most one identity write
// per batch; the 50 new clusters go first, and every known cluster keeps
// its instance ARN.
func TestRegistrarJoinsInBatches(t *testing.T) {
	p := &fakePlane{}
	r, _ := testRegistrar(t, p)
	var want []string
	before := map[string]string{}
	for i := range 1150 {
		c := clusterARN("us-east-1", i)
		want = append(want, c)
		before[c] = c + "/old"
	}
	for i := range 50 {
		want = append(want, clusterARN("eu-west-1", i))
	}
	if err := r.id.setInstances(before); err != nil {
		t.Fatal(err)
	}
	_, saves0 := r.id.count()
	runRegistrar(t, r)
	r.setWant(want)
	waitFor(t, "1,200 registrations", func() bool {
		n := 0
		for _, q := range p.requests() {
			n += len(q.Clusters)
		}
		return n >= 1200
	})
	waitFor(t, "the identity", func() bool { n, _ := r.id.count(); return n == 1200 })

	reqs := p.requests()
	if len(reqs) != 4 { // 50 in eu-west-1, then 500 + 500 + 150
		t.Errorf("%d calls, want 4", len(reqs))
	}
	if reqs[0].Region != "eu-west-1" || len(reqs[0].Clusters) != 50 {
		t.Errorf("first call: %s with %d clusters, want the 50 new ones of eu-west-1", reqs[0].Region, len(reqs[0].Clusters))
	}
	for _, q := range reqs {
		if len(q.Clusters) > registerBatch || q.NodeID != r.nodeID {
			t.Errorf("call of %d clusters for node %q", len(q.Clusters), q.NodeID)
		}
		for _, c := range q.Clusters {
			if regionOf(c.ClusterARN) != q.Region || c.ContainerInstanceARN != before[c.ClusterARN] {
				t.Errorf("in a %s call: %+v, want the instance it had (%q)", q.Region, c, before[c.ClusterARN])
			}
		}
	}
	for c, arn := range before {
		if got := r.id.instance(c); got != arn {
			t.Fatalf("%s: instance %s after the restart, want %s", c, got, arn)
		}
	}
	if _, saves := r.id.count(); saves-saves0 != 1 {
		// Only the batch with new clusters changed anything.
		t.Errorf("agent.json written %d times, want once", saves-saves0)
	}
	if p.infos != 1 {
		t.Errorf("docker info asked %d times, want once", p.infos)
	}

	t.Run("a new cluster later is one small call", func(t *testing.T) {
		r.setWant(append(slices.Clone(want), clusterARN("us-east-1", 5000)))
		waitFor(t, "the new cluster", func() bool { return r.id.instance(clusterARN("us-east-1", 5000)) != "" })
		reqs := p.requests()
		if last := reqs[len(reqs)-1]; len(last.Clusters) != 1 {
			t.Fatalf("the new cluster came in a call of %d", len(last.Clusters))
		}
	})
	t.Run("clusters no longer wanted are forgotten", func(t *testing.T) {
		r.setWant(want[:10])
		waitFor(t, "the identity to shrink", func() bool { n, _ := r.id.count(); return n == 10 })
	})
}

// TestRegistrarRetries: a cluster that refuses fails alone and is tried
// again after registerRetry; a call that fails whole is named by health
// until the next one works.
func TestRegistrarRetries(t *testing.T) {
	gone, ok := clusterARN("us-east-1", 1), clusterARN("us-east-1", 2)
	p := &fakePlane{refuse: map[string]bool{gone: true}, fail: 1}
	r, clock := testRegistrar(t, p)
	var healthDuringFailure error
	r.sleep = func(context.Context, time.Duration) bool {
		healthDuringFailure = r.health()
		return true
	}
	runRegistrar(t, r)
	r.setWant([]string{gone, ok})
	waitFor(t, "the working cluster", func() bool { return r.id.instance(ok) != "" })
	if healthDuringFailure == nil {
		t.Error("health was nil while registration failed")
	}
	if err := r.health(); err != nil {
		t.Errorf("health after a working call: %v", err)
	}
	if r.id.instance(gone) != "" {
		t.Fatal("the refusing cluster has an instance")
	}
	calls := len(p.requests())

	p.mu.Lock()
	delete(p.refuse, gone)
	p.mu.Unlock()
	clock.add(registerRetry)
	r.setWant([]string{gone, ok}) // wakes it (as would the retry timer)
	waitFor(t, "the retried cluster", func() bool { return r.id.instance(gone) != "" })
	reqs := p.requests()
	if len(reqs) != calls+1 || len(reqs[calls].Clusters) != 1 || reqs[calls].Clusters[0].ClusterARN != gone {
		t.Fatalf("retry calls: %+v", reqs[calls:])
	}
}

// TestSyncDoesNotWaitForRegistration: the poll loop's sync hands the
// clusters to the registrar and returns while registration is still under
// way, so tasks and health do not wait for it.
func TestSyncDoesNotWaitForRegistration(t *testing.T) {
	a := testAgent(t, &flakyEngine{gw: "127.0.0.1"})
	p := &fakePlane{block: make(chan struct{})}
	defer close(p.block)
	r, _ := testRegistrar(t, p)
	r.id, r.nodeID = a.id, a.id.NodeID
	a.reg = r
	a.cfg.AutoJoin = true
	runRegistrar(t, r)
	want := []string{clusterARN("us-east-1", 1), clusterARN("us-east-1", 2)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range 3 {
			a.sync(context.Background(), &agentproto.PollResponse{Clusters: want})
		}
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("sync waited for the registration")
	}
	if got, _ := r.wanted(); !slices.Equal(got, want) {
		t.Fatalf("registrar wants %v", got)
	}
}
