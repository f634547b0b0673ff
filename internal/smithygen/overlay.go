package main

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

// traitSource is the overlay's provenance trait: every shape and member an
// overlay adds names where it was read from (an SDK module and version), so a
// reviewer can check it and drop it once AWS's published model has it.
const traitSource = "wharf#source"

// LoadOverlay reads a Smithy JSON overlay: shapes and members that the model
// snapshot lacks (AWS added them later), without the prelude.
func LoadOverlay(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseOverlay(b, path)
}

func parseOverlay(b []byte, name string) (*Model, error) {
	var o Model
	if err := json.Unmarshal(b, &o); err != nil {
		return nil, fmt.Errorf("parse overlay %s: %w", name, err)
	}
	for id, s := range o.Shapes {
		s.ID = id
	}
	return &o, nil
}

// Merge adds an overlay's shapes and members to m. An overlay shape that m
// lacks is added whole and must carry traitSource; an overlay shape that m
// has must be of the same type, carry no traits of its own, and only add
// members (each with traitSource) after the model's. A member or shape the
// model already has is an error rather than a silent override: once AWS's
// published model catches up, the overlay entry must go. Every target of the
// merged model must then resolve.
func (m *Model) Merge(o *Model) error {
	ids := make([]string, 0, len(o.Shapes))
	for id := range o.Shapes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		ov := o.Shapes[id]
		base, ok := m.Shapes[id]
		if !ok {
			if !ov.Traits.Has(traitSource) {
				return fmt.Errorf("overlay: new shape %s has no %s trait", id, traitSource)
			}
			m.Shapes[id] = ov
			continue
		}
		if ov.Type != base.Type {
			return fmt.Errorf("overlay: %s is a %s in the model, not a %s", id, base.Type, ov.Type)
		}
		if len(ov.Traits) > 0 || ov.Member != nil || ov.Key != nil || ov.Value != nil || ov.Input != nil || ov.Output != nil {
			return fmt.Errorf("overlay: %s is in the model: the overlay may only add members to it", id)
		}
		switch base.Type {
		case "structure", "union", "enum", "intEnum":
		default:
			return fmt.Errorf("overlay: %s: cannot add members to a %s", id, base.Type)
		}
		have := map[string]bool{}
		for _, mem := range base.Members {
			have[mem.Name] = true
		}
		for _, mem := range ov.Members {
			if have[mem.Name] {
				return fmt.Errorf("overlay: %s$%s is already in the model: remove it from the overlay", id, mem.Name)
			}
			if !mem.Traits.Has(traitSource) {
				return fmt.Errorf("overlay: member %s$%s has no %s trait", id, mem.Name, traitSource)
			}
			have[mem.Name] = true
			base.Members = append(base.Members, mem)
		}
	}
	return m.checkTargets()
}

// checkTargets reports the first member whose target is not a shape of m.
func (m *Model) checkTargets() error {
	for _, id := range m.SortedIDs("structure", "union", "enum", "intEnum", "list", "map") {
		s := m.Shapes[id]
		members := append(Members{}, s.Members...)
		for _, mem := range []*Member{s.Member, s.Key, s.Value} {
			if mem != nil {
				members = append(members, mem)
			}
		}
		for _, mem := range members {
			if _, ok := m.Shapes[mem.Target]; !ok && mem.Target != unitID {
				return fmt.Errorf("%s$%s targets unknown shape %s", id, mem.Name, mem.Target)
			}
		}
	}
	return nil
}
