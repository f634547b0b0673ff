package lb

import (
	"net/url"
	"strconv"
	"testing"
)

func upstreams(n int) []*Upstream {
	out := make([]*Upstream, n)
	for i := range out {
		out[i] = &Upstream{url: &url.URL{Scheme: "http", Host: "10.0.0." + strconv.Itoa(i+1) + ":80"}}
	}
	return out
}

func TestRoundRobin(t *testing.T) {
	us := upstreams(3)
	var p RoundRobin
	var got []string
	for range 6 {
		got = append(got, p.Select(us, nil).Addr())
	}
	want := []string{"10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80", "10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80"}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("picks %v, want %v", got, want)
		}
	}
	t.Run("pool shrinks", func(t *testing.T) {
		for range 5 {
			if u := p.Select(us[:1], nil); u != us[0] {
				t.Fatalf("picked %s from a pool of one", u.Addr())
			}
		}
	})
}

func TestLeastOutstanding(t *testing.T) {
	us := upstreams(3)
	us[0].inflight.Store(5)
	us[1].inflight.Store(2)
	us[2].inflight.Store(2)
	if got := (LeastOutstanding{}).Select(us, nil); got != us[1] {
		t.Fatalf("picked %s, want the first of the least busy (10.0.0.2)", got.Addr())
	}
	us[2].inflight.Store(0)
	if got := (LeastOutstanding{}).Select(us, nil); got != us[2] {
		t.Fatalf("picked %s, want the idle one", got.Addr())
	}
}

func TestRandom(t *testing.T) {
	us := upstreams(4)
	seen := map[*Upstream]int{}
	for range 400 {
		seen[Random{}.Select(us, nil)]++
	}
	for _, u := range us {
		if seen[u] == 0 {
			t.Fatalf("%s never picked in 400 draws: %v", u.Addr(), seen)
		}
	}
}

func TestPolicyFor(t *testing.T) {
	if _, ok := policyFor("least_outstanding_requests").(LeastOutstanding); !ok {
		t.Fatal("least_outstanding_requests")
	}
	if _, ok := policyFor("weighted_random").(Random); !ok {
		t.Fatal("weighted_random")
	}
	if _, ok := policyFor("round_robin").(*RoundRobin); !ok {
		t.Fatal("round_robin")
	}
}

func TestWeighted(t *testing.T) {
	all := func(int) bool { return true }
	t.Run("smooth 3:1", func(t *testing.T) {
		w := newWeighted([]int{3, 1})
		var got []int
		for range 8 {
			got = append(got, w.pick(all))
		}
		want := []int{0, 0, 1, 0, 0, 0, 1, 0}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("picks %v, want %v", got, want)
			}
		}
	})
	t.Run("zero weight never picked", func(t *testing.T) {
		w := newWeighted([]int{0, 2})
		for range 10 {
			if i := w.pick(all); i != 1 {
				t.Fatalf("picked %d", i)
			}
		}
	})
	t.Run("skip groups with nothing ready", func(t *testing.T) {
		w := newWeighted([]int{5, 1})
		for range 10 {
			if i := w.pick(func(i int) bool { return i == 1 }); i != 1 {
				t.Fatalf("picked %d", i)
			}
		}
	})
	t.Run("none", func(t *testing.T) {
		if i := newWeighted([]int{1, 1}).pick(func(int) bool { return false }); i != -1 {
			t.Fatalf("picked %d", i)
		}
	})
	t.Run("proportions", func(t *testing.T) {
		w := newWeighted([]int{1, 2, 7})
		n := make([]int, 3)
		for range 1000 {
			n[w.pick(all)]++
		}
		if n[0] != 100 || n[1] != 200 || n[2] != 700 {
			t.Fatalf("counts %v, want [100 200 700]", n)
		}
	})
}
