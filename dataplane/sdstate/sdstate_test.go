package sdstate

import (
	"context"
	"errors"
	"testing"
	"time"

	sdtypes "github.com/wharfhq/wharf/api/servicediscoverytypes"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

var sc = model.Scope{Account: "000000000000", Region: "us-east-1"}

func TestParseServiceRef(t *testing.T) {
	other := model.Scope{Account: "1", Region: "eu-west-1"}
	if s, id, ok := ParseServiceRef(sc, "arn:aws:servicediscovery:eu-west-1:1:service/srv-abc"); !ok || id != "srv-abc" || s != other {
		t.Fatalf("ARN: %v %s %v", s, id, ok)
	}
	if s, id, ok := ParseServiceRef(sc, "srv-abc"); !ok || id != "srv-abc" || s != sc {
		t.Fatalf("id: %v %s %v", s, id, ok)
	}
	for _, bad := range []string{"arn:aws:servicediscovery:us-east-1:1:namespace/ns-1", "arn:aws:ecs:us-east-1:1:service/x/y", "web"} {
		if _, _, ok := ParseServiceRef(sc, bad); ok {
			t.Fatalf("%s accepted", bad)
		}
	}
}

func TestInstanceTransactions(t *testing.T) {
	db := testdb.Bolt(t, bolt.Options{})
	ctx := context.Background()
	update := func(fn func(store.Tx) error) error { _, err := db.Update(ctx, fn); return err }
	put := func(id string, custom bool, types ...sdtypes.RecordType) {
		svc := sdtypes.Service{Id: new(id), Name: new(id), InstanceCount: new(int32(0))}
		if len(types) > 0 {
			svc.DnsConfig = &sdtypes.DnsConfig{}
			for _, typ := range types {
				svc.DnsConfig.DnsRecords = append(svc.DnsConfig.DnsRecords, sdtypes.DnsRecord{Type: typ, TTL: new(int64(10))})
			}
		}
		if custom {
			svc.HealthCheckCustomConfig = &sdtypes.HealthCheckCustomConfig{}
		}
		if err := update(func(tx store.Tx) error { return store.Put(tx, ServiceKey(sc, id), Service{Svc: svc, Scope: sc}) }); err != nil {
			t.Fatal(err)
		}
	}
	put("srv-a", false, sdtypes.RecordTypeA)
	put("srv-srv", true, sdtypes.RecordTypeSrv)
	put("srv-http", false)
	register := func(svc, id string, attrs map[string]string) error {
		return update(func(tx store.Tx) error {
			_, err := RegisterInstance(tx, sc, svc, id, "", attrs, time.Now())
			return err
		})
	}
	tests := []struct {
		name, svc, id string
		attrs         map[string]string
		err           error
	}{
		{"A with IPv4", "srv-a", "i1", map[string]string{AttrIPv4: "10.0.0.1"}, nil},
		{"A without IPv4", "srv-a", "i2", map[string]string{AttrPort: "80"}, ErrInvalid},
		{"A with a bad IPv4", "srv-a", "i2", map[string]string{AttrIPv4: "10.0.0"}, ErrInvalid},
		{"SRV needs a port", "srv-srv", "i1", map[string]string{AttrIPv4: "10.0.0.1"}, ErrInvalid},
		{"SRV with port and address", "srv-srv", "i1", map[string]string{AttrIPv4: "10.0.0.1", AttrPort: "8080"}, nil},
		{"bad port", "srv-srv", "i2", map[string]string{AttrIPv4: "10.0.0.1", AttrPort: "70000"}, ErrInvalid},
		{"init health without custom health", "srv-a", "i3", map[string]string{AttrIPv4: "10.0.0.1", AttrInitHealth: "HEALTHY"}, ErrInvalid},
		{"HTTP service: any attributes", "srv-http", "x", map[string]string{"color": "blue"}, nil},
		{"no such service", "srv-nope", "x", nil, ErrServiceNotFound},
		{"bad instance id", "srv-http", "a/b", nil, ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := register(tc.svc, tc.id, tc.attrs); !errors.Is(err, tc.err) {
				t.Fatalf("got %v, want %v", err, tc.err)
			}
		})
	}
	get := func(svc, id string) Instance {
		var i Instance
		_ = db.View(ctx, func(tx store.ReadTx) (err error) {
			i, _, err = store.Get[Instance](tx, InstanceKey(sc, svc, id))
			return err
		})
		return i
	}
	if h := get("srv-srv", "i1").Health; h != sdtypes.HealthStatusHealthy {
		t.Fatalf("a new instance of a custom-health service: %q", h)
	}
	if err := update(func(tx store.Tx) error {
		return SetInstanceHealth(tx, sc, "srv-srv", "i1", sdtypes.HealthStatusUnhealthy)
	}); err != nil {
		t.Fatal(err)
	}
	if err := register("srv-srv", "i1", map[string]string{AttrIPv4: "10.0.0.2", AttrPort: "8080"}); err != nil {
		t.Fatal(err)
	}
	if i := get("srv-srv", "i1"); i.Health != sdtypes.HealthStatusUnhealthy || i.Inst.Attributes[AttrIPv4] != "10.0.0.2" {
		t.Fatalf("re-registration: %+v", i)
	}
	if err := update(func(tx store.Tx) error { return SetInstanceHealth(tx, sc, "srv-a", "i1", sdtypes.HealthStatusHealthy) }); !errors.Is(err, ErrCustomHealth) {
		t.Fatalf("health of a service without custom health: %v", err)
	}
	if err := update(func(tx store.Tx) error { _, err := DeregisterInstance(tx, sc, "srv-a", "i9", time.Now()); return err }); !errors.Is(err, ErrInstanceNotFound) {
		t.Fatalf("deregister unknown: %v", err)
	}
	var svc Service
	_ = db.View(ctx, func(tx store.ReadTx) (err error) { svc, err = GetService(tx, sc, "srv-srv"); return err })
	if *svc.Svc.InstanceCount != 1 || svc.Revision != 3 {
		t.Fatalf("count %d revision %d", *svc.Svc.InstanceCount, svc.Revision)
	}
}
