package lb

import (
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/wharfhq/wharf/dataplane/lbstate"
)

// Policy chooses, for one request, one of the upstreams ready to serve it
// (never an empty list). Policies are small and each is tested alone;
// a target group's load_balancing.algorithm.type names its policy.
type Policy interface {
	Select(ready []*Upstream, r *http.Request) *Upstream
}

var (
	_ Policy = (*RoundRobin)(nil)
	_ Policy = LeastOutstanding{}
	_ Policy = Random{}
)

// RoundRobin takes the ready upstreams in turn (ELB's round_robin).
type RoundRobin struct{ n atomic.Uint64 }

func (p *RoundRobin) Select(ready []*Upstream, _ *http.Request) *Upstream {
	return ready[(p.n.Add(1)-1)%uint64(len(ready))]
}

// LeastOutstanding takes the upstream with the fewest requests in flight,
// the first of them on a tie (ELB's least_outstanding_requests).
type LeastOutstanding struct{}

func (LeastOutstanding) Select(ready []*Upstream, _ *http.Request) *Upstream {
	best := ready[0]
	for _, u := range ready[1:] {
		if u.InFlight() < best.InFlight() {
			best = u
		}
	}
	return best
}

// Random takes an upstream at random (ELB's weighted_random, whose weights
// come from anomaly detection wharf does not do: all weigh the same).
type Random struct{}

func (Random) Select(ready []*Upstream, _ *http.Request) *Upstream {
	return ready[rand.IntN(len(ready))]
}

// policyFor returns a new policy for a load_balancing.algorithm.type.
func policyFor(algorithm string) Policy {
	switch algorithm {
	case lbstate.AlgorithmLeastOutstanding:
		return LeastOutstanding{}
	case lbstate.AlgorithmWeightedRandom:
		return Random{}
	}
	return &RoundRobin{}
}

// weighted spreads requests over a forward action's target groups by their
// weights, smoothly (nginx's smooth weighted round robin): with weights 3
// and 1 it picks a, a, b, a — never long runs. Groups with nothing ready
// are skipped, so the other groups take their share.
type weighted struct {
	mu      sync.Mutex
	weights []int
	current []int
}

func newWeighted(weights []int) *weighted {
	return &weighted{weights: weights, current: make([]int, len(weights))}
}

// pick returns the index of the next choice among those ok allows, or -1.
func (w *weighted) pick(ok func(i int) bool) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	total, best := 0, -1
	for i, wt := range w.weights {
		if wt <= 0 || !ok(i) {
			continue
		}
		w.current[i] += wt
		total += wt
		if best < 0 || w.current[i] > w.current[best] {
			best = i
		}
	}
	if best >= 0 {
		w.current[best] -= total
	}
	return best
}
