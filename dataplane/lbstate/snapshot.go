package lbstate

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/store"
)

// Snapshot is every ELBv2 record of every scope at one store revision: what
// the data plane serves.
type Snapshot struct {
	Rev           int64
	LoadBalancers []LoadBalancer
	Listeners     []Listener
	// Rules by listener ARN, in priority order.
	Rules map[string][]Rule
	// TargetGroups by ARN.
	TargetGroups map[string]TargetGroup
	// Targets by target group ARN, in key order.
	Targets map[string][]Target
	// Health by target group ARN and target.
	Health map[string]map[TargetID]Health
}

// Load reads a Snapshot in one read transaction.
func Load(tx store.ReadTx) (*Snapshot, error) {
	kvs, err := tx.List(Prefix, "", 0)
	if err != nil {
		return nil, fmt.Errorf("lbstate: list %s: %w", Prefix, err)
	}
	s := &Snapshot{Rev: tx.Rev(), Rules: map[string][]Rule{}, TargetGroups: map[string]TargetGroup{},
		Targets: map[string][]Target{}, Health: map[string]map[TargetID]Health{}}
	tgARNByID := map[string]string{} // scope root + tg id → ARN
	type pending struct {
		root, tgID string
		kv         store.KV
	}
	var targets, health []pending
	for _, kv := range kvs {
		parts := strings.SplitN(strings.TrimPrefix(kv.Key, Prefix), "/", 4)
		if len(parts) != 4 {
			continue
		}
		root := Prefix + parts[0] + "/" + parts[1] + "/"
		kind, rest := parts[2], parts[3]
		switch kind {
		case "lbs":
			var v LoadBalancer
			if err := decode(kv, &v); err != nil {
				return nil, err
			}
			s.LoadBalancers = append(s.LoadBalancers, v)
		case "tgs":
			var v TargetGroup
			if err := decode(kv, &v); err != nil {
				return nil, err
			}
			arn := shape.ToString(v.TG.TargetGroupArn)
			s.TargetGroups[arn] = v
			tgARNByID[root+v.ID] = arn
		case "listeners":
			var v Listener
			if err := decode(kv, &v); err != nil {
				return nil, err
			}
			s.Listeners = append(s.Listeners, v)
		case "rules":
			var v Rule
			if err := decode(kv, &v); err != nil {
				return nil, err
			}
			s.Rules[v.ListenerID] = append(s.Rules[v.ListenerID], v) // re-keyed below
		case "targets", "health":
			tgID, _, _ := strings.Cut(rest, "/")
			p := pending{root: root, tgID: tgID, kv: kv}
			if kind == "targets" {
				targets = append(targets, p)
			} else {
				health = append(health, p)
			}
		}
	}
	for _, p := range targets {
		arn, ok := tgARNByID[p.root+p.tgID]
		if !ok {
			continue
		}
		var v Target
		if err := decode(p.kv, &v); err != nil {
			return nil, err
		}
		s.Targets[arn] = append(s.Targets[arn], v)
	}
	for _, p := range health {
		arn, ok := tgARNByID[p.root+p.tgID]
		if !ok {
			continue
		}
		var v Health
		if err := decode(p.kv, &v); err != nil {
			return nil, err
		}
		id, ok := parseTargetID(p.kv.Key[strings.LastIndexByte(p.kv.Key, '/')+1:])
		if !ok {
			continue
		}
		if s.Health[arn] == nil {
			s.Health[arn] = map[TargetID]Health{}
		}
		s.Health[arn][id] = v
	}
	// Rules were gathered by listener id; key them by listener ARN, sorted.
	byID := s.Rules
	s.Rules = map[string][]Rule{}
	for _, l := range s.Listeners {
		rules := byID[l.ID]
		sort.Slice(rules, func(i, j int) bool { return rules[i].Priority < rules[j].Priority })
		s.Rules[shape.ToString(l.L.ListenerArn)] = rules
	}
	return s, nil
}

func parseTargetID(s string) (TargetID, bool) {
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return TargetID{}, false
	}
	var port int32
	if _, err := fmt.Sscanf(s[i+1:], "%d", &port); err != nil {
		return TargetID{}, false
	}
	return TargetID{ID: s[:i], Port: port}, true
}

func decode(kv store.KV, v any) error {
	if err := json.Unmarshal(kv.Value, v); err != nil {
		return fmt.Errorf("lbstate: decode %s: %w", kv.Key, err)
	}
	return nil
}

// LBByARN finds a load balancer of the snapshot.
func (s *Snapshot) LBByARN(arn string) (LoadBalancer, bool) {
	for _, lb := range s.LoadBalancers {
		if shape.ToString(lb.LB.LoadBalancerArn) == arn {
			return lb, true
		}
	}
	return LoadBalancer{}, false
}

// ActionTargetGroups lists the target group ARNs actions forward to, each
// once, in order.
func ActionTargetGroups(actions []elbv2types.Action) []string {
	var out []string
	add := func(arn string) {
		if arn != "" && !slices.Contains(out, arn) {
			out = append(out, arn)
		}
	}
	for _, a := range actions {
		if a.Type != elbv2types.ActionTypeEnumForward {
			continue
		}
		add(shape.ToString(a.TargetGroupArn))
		if a.ForwardConfig != nil {
			for _, t := range a.ForwardConfig.TargetGroups {
				add(shape.ToString(t.TargetGroupArn))
			}
		}
	}
	return out
}
