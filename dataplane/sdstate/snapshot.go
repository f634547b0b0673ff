package sdstate

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/store"
)

// Snapshot is every namespace, service and instance of every scope at one
// store revision: what the DNS server answers from.
type Snapshot struct {
	Rev        int64
	Namespaces []Namespace
	Services   []Service
	// Instances by scope root + service id.
	Instances map[string][]Instance
}

// InstancesOf returns a service's instances.
func (s *Snapshot) InstancesOf(svc Service) []Instance {
	return s.Instances[Root(svc.Scope)+shape.ToString(svc.Svc.Id)]
}

// Load reads a Snapshot in one read transaction (operations are skipped).
func Load(tx store.ReadTx) (*Snapshot, error) {
	kvs, err := tx.List(Prefix, "", 0)
	if err != nil {
		return nil, fmt.Errorf("sdstate: list %s: %w", Prefix, err)
	}
	s := &Snapshot{Rev: tx.Rev(), Instances: map[string][]Instance{}}
	for _, kv := range kvs {
		parts := strings.SplitN(strings.TrimPrefix(kv.Key, Prefix), "/", 4)
		if len(parts) != 4 {
			continue
		}
		root := Prefix + parts[0] + "/" + parts[1] + "/"
		switch parts[2] {
		case "namespaces":
			var v Namespace
			if err := decode(kv, &v); err != nil {
				return nil, err
			}
			s.Namespaces = append(s.Namespaces, v)
		case "services":
			var v Service
			if err := decode(kv, &v); err != nil {
				return nil, err
			}
			s.Services = append(s.Services, v)
		case "instances":
			var v Instance
			if err := decode(kv, &v); err != nil {
				return nil, err
			}
			svcID, _, _ := strings.Cut(parts[3], "/")
			s.Instances[root+svcID] = append(s.Instances[root+svcID], v)
		}
	}
	return s, nil
}

func decode(kv store.KV, v any) error {
	if err := json.Unmarshal(kv.Value, v); err != nil {
		return fmt.Errorf("sdstate: decode %s: %w", kv.Key, err)
	}
	return nil
}
