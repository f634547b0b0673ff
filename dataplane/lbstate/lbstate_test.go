package lbstate

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

var sc = model.Scope{Account: "000000000000", Region: "us-east-1"}

func TestParseARN(t *testing.T) {
	tests := []struct {
		arn  string
		ok   bool
		want Ref
	}{
		{"arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/50dc6c495c0c9188", true,
			Ref{Scope: sc, Kind: "loadbalancer", Name: "web", LBID: "50dc6c495c0c9188", ID: "50dc6c495c0c9188"}},
		{"arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/api/73e2d6bc24d8a067", true,
			Ref{Scope: sc, Kind: "targetgroup", Name: "api", ID: "73e2d6bc24d8a067"}},
		{"arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2", true,
			Ref{Scope: sc, Kind: "listener", Name: "web", LBID: "50dc6c495c0c9188", ListenerID: "f2f7dc8efc522ab2", ID: "f2f7dc8efc522ab2"}},
		{"arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee", true,
			Ref{Scope: sc, Kind: "listener-rule", Name: "web", LBID: "50dc6c495c0c9188", ListenerID: "f2f7dc8efc522ab2", ID: "9683b2d02a6cabee"}},
		{"arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/net/web/50dc6c495c0c9188", false, Ref{}},
		{"arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/api", false, Ref{}},
		{"arn:aws:ecs:us-east-1:000000000000:cluster/web", false, Ref{}},
		{"arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup//x", false, Ref{}},
		{"web", false, Ref{}},
	}
	for _, tc := range tests {
		t.Run(tc.arn, func(t *testing.T) {
			got, ok := ParseARN(tc.arn)
			if ok != tc.ok || ok && got != tc.want {
				t.Fatalf("got %+v %v", got, ok)
			}
		})
	}
	if a := ListenerARN(sc, "web", "1", "2"); a != "arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/web/1/2" {
		t.Fatal(a)
	}
	if n := DNSName(sc, "web", "0123456789", true); n != "internal-web-0123456789.us-east-1.elb.localhost" {
		t.Fatal(n)
	}
}

func TestKeysAndAddresses(t *testing.T) {
	if !IsHealthKey(HealthKey(sc, "tg", TargetID{"10.0.0.1", 80})) || IsHealthKey(TargetKey(sc, "tg", TargetID{"10.0.0.1", 80})) {
		t.Fatal("IsHealthKey")
	}
	if a := TargetAddr(elbv2types.TargetTypeEnumIp, TargetID{"10.0.0.1", 8080}, "127.0.0.1"); a != "10.0.0.1:8080" {
		t.Fatal(a)
	}
	if a := TargetAddr(elbv2types.TargetTypeEnumInstance, TargetID{"i-0123", 32768}, "0.0.0.0"); a != "127.0.0.1:32768" {
		t.Fatal(a)
	}
	if a := TargetAddr(elbv2types.TargetTypeEnumIp, TargetID{"fd00::1", 80}, ""); a != "[fd00::1]:80" {
		t.Fatal(a)
	}
}

func TestParseMatcher(t *testing.T) {
	tests := []struct {
		in        string
		ok        bool
		match, no []int
	}{
		{"200", true, []int{200}, []int{201, 500}},
		{"200,202", true, []int{200, 202}, []int{201}},
		{"200-299", true, []int{200, 250, 299}, []int{300, 199}},
		{"200-204, 301", true, []int{204, 301}, []int{205}},
		{"600", false, nil, nil},
		{"299-200", false, nil, nil},
		{"", false, nil, nil},
		{"abc", false, nil, nil},
	}
	for _, tc := range tests {
		m, err := ParseMatcher(tc.in)
		if (err == nil) != tc.ok {
			t.Fatalf("%q: %v", tc.in, err)
		}
		for _, c := range tc.match {
			if !m.Match(c) {
				t.Fatalf("%q should match %d", tc.in, c)
			}
		}
		for _, c := range tc.no {
			if m.Match(c) {
				t.Fatalf("%q should not match %d", tc.in, c)
			}
		}
	}
}

func TestAttributes(t *testing.T) {
	tg := TargetGroup{Attributes: DefaultTGAttributes()}
	if tg.DeregistrationDelay() != 300*time.Second || tg.Algorithm() != AlgorithmRoundRobin {
		t.Fatalf("defaults %v %v", tg.DeregistrationDelay(), tg.Algorithm())
	}
	for _, tc := range []struct {
		k, v string
		ok   bool
	}{
		{AttrDeregistrationDelay, "0", true}, {AttrDeregistrationDelay, "3601", false}, {AttrAlgorithm, "least_outstanding_requests", true},
		{AttrAlgorithm, "fastest", false}, {"stickiness.enabled", "yes", false}, {"made.up", "1", false},
	} {
		if err := CheckTGAttribute(tc.k, tc.v); (err == nil) != tc.ok {
			t.Fatalf("%s=%s: %v", tc.k, tc.v, err)
		}
	}
	if err := CheckLBAttribute(AttrIdleTimeout, "4001"); err == nil {
		t.Fatal("idle timeout 4001 accepted")
	}
	if (LoadBalancer{Attributes: DefaultLBAttributes()}).IdleTimeout() != time.Minute {
		t.Fatal("idle timeout default")
	}
}

func TestTargetTransactions(t *testing.T) {
	db := testdb.Bolt(t, bolt.Options{})
	ctx := context.Background()
	arn := TGARN(sc, "tg", "0123456789abcdef")
	tg := TargetGroup{ID: "0123456789abcdef", Scope: sc, Attributes: DefaultTGAttributes(),
		TG: elbv2types.TargetGroup{TargetGroupArn: &arn, TargetGroupName: new("tg"), TargetType: elbv2types.TargetTypeEnumIp}}
	update := func(fn func(store.Tx) error) error { _, err := db.Update(ctx, fn); return err }
	health := func(id TargetID, inUse bool) string {
		var h Health
		if err := db.View(ctx, func(tx store.ReadTx) (err error) { h, err = TargetHealth(tx, tg, id, inUse); return err }); err != nil {
			t.Fatal(err)
		}
		return string(h.State) + "/" + string(h.Reason)
	}
	if err := update(func(tx store.Tx) error { return store.Put(tx, TGKey(sc, "tg"), tg) }); err != nil {
		t.Fatal(err)
	}
	a := TargetID{"10.0.0.1", 80}
	now := time.Now()
	if err := update(func(tx store.Tx) error { return RegisterTargets(tx, tg, []Registration{{TargetID: a}}, now) }); err != nil {
		t.Fatal(err)
	}
	var got TargetGroup
	var ok bool
	_ = db.View(ctx, func(tx store.ReadTx) (err error) { got, ok, err = GetTargetGroup(tx, arn); return err })
	if !ok || got.ID != tg.ID {
		t.Fatal("GetTargetGroup")
	}
	if h := health(a, true); h != "initial/Elb.RegistrationInProgress" {
		t.Fatal(h)
	}
	if h := health(a, false); h != "unused/Target.NotInUse" {
		t.Fatal(h)
	}
	if err := update(func(tx store.Tx) error {
		return store.Put(tx, HealthKey(sc, tg.ID, a), Health{State: "healthy", RegisteredAt: now})
	}); err != nil {
		t.Fatal(err)
	}
	if h := health(a, true); h != "healthy/" {
		t.Fatal(h)
	}
	// Unused group: deregistration is immediate.
	if err := update(func(tx store.Tx) error { return DeregisterTargets(tx, tg, []TargetID{a}, now) }); err != nil {
		t.Fatal(err)
	}
	if h := health(a, true); h != "unused/Target.NotRegistered" {
		t.Fatal(h)
	}
	err := update(func(tx store.Tx) error { return DeregisterTargets(tx, tg, []TargetID{a}, now) })
	if !errors.Is(err, ErrNotRegistered) {
		t.Fatalf("deregister twice: %v", err)
	}
}
