package main

import (
	"strings"
	"testing"
)

const overlayBase = `{"smithy": "2.0", "shapes": {
  "ns#Svc": {"type": "service"},
  "ns#Breaker": {"type": "structure", "members": {"enable": {"target": "smithy.api#Boolean"}}},
  "ns#Kind": {"type": "enum", "members": {"A": {"target": "smithy.api#Unit", "traits": {"smithy.api#enumValue": "A"}}}},
  "ns#Names": {"type": "list", "member": {"target": "smithy.api#String"}}
}}`

func TestMerge(t *testing.T) {
	src := `"wharf#source": "sdk v1"`
	tests := []struct {
		name    string
		overlay string
		wantErr string // "" when the merge must succeed
		check   func(t *testing.T, m *Model)
	}{
		{
			name: "adds members after the model's and new shapes",
			overlay: `{"shapes": {
  "ns#Breaker": {"type": "structure", "members": {"threshold": {"target": "ns#Threshold", "traits": {` + src + `}}}},
  "ns#Threshold": {"type": "structure", "members": {"value": {"target": "smithy.api#Integer"}}, "traits": {` + src + `}},
  "ns#Kind": {"type": "enum", "members": {"B": {"target": "smithy.api#Unit", "traits": {"smithy.api#enumValue": "B", ` + src + `}}}}
}}`,
			check: func(t *testing.T, m *Model) {
				var names []string
				for _, mem := range m.Shape("ns#Breaker").Members {
					names = append(names, mem.Name)
				}
				if got := strings.Join(names, ","); got != "enable,threshold" {
					t.Errorf("Breaker members = %s, want enable,threshold", got)
				}
				if m.Shape("ns#Threshold").ID != "ns#Threshold" {
					t.Error("new shape lost its id")
				}
				if n := len(m.Shape("ns#Kind").Members); n != 2 {
					t.Errorf("Kind has %d members, want 2", n)
				}
			},
		},
		{
			name:    "member already in the model",
			overlay: `{"shapes": {"ns#Breaker": {"type": "structure", "members": {"enable": {"target": "smithy.api#Boolean", "traits": {` + src + `}}}}}}`,
			wantErr: "ns#Breaker$enable is already in the model",
		},
		{
			name:    "member without its source",
			overlay: `{"shapes": {"ns#Breaker": {"type": "structure", "members": {"x": {"target": "smithy.api#Boolean"}}}}}`,
			wantErr: "member ns#Breaker$x has no wharf#source trait",
		},
		{
			name:    "new shape without its source",
			overlay: `{"shapes": {"ns#New": {"type": "structure", "members": {}}}}`,
			wantErr: "new shape ns#New has no wharf#source trait",
		},
		{
			name:    "type differs from the model",
			overlay: `{"shapes": {"ns#Breaker": {"type": "union", "members": {}}}}`,
			wantErr: "ns#Breaker is a structure in the model, not a union",
		},
		{
			name:    "traits on a shape the model has",
			overlay: `{"shapes": {"ns#Breaker": {"type": "structure", "traits": {` + src + `}}}}`,
			wantErr: "the overlay may only add members to it",
		},
		{
			name:    "members added to a list",
			overlay: `{"shapes": {"ns#Names": {"type": "list", "members": {}}}}`,
			wantErr: "cannot add members to a list",
		},
		{
			name:    "dangling target",
			overlay: `{"shapes": {"ns#Breaker": {"type": "structure", "members": {"x": {"target": "ns#Missing", "traits": {` + src + `}}}}}}`,
			wantErr: "ns#Breaker$x targets unknown shape ns#Missing",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := ParseModel([]byte(overlayBase))
			if err != nil {
				t.Fatal(err)
			}
			o, err := parseOverlay([]byte(tt.overlay), "test.json")
			if err != nil {
				t.Fatal(err)
			}
			err = m.Merge(o)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Merge: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Merge error = %v, want one containing %q", err, tt.wantErr)
			}
			if tt.check != nil {
				tt.check(t, m)
			}
		})
	}
}
