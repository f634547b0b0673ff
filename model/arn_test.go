package model

import "testing"

func TestARNs(t *testing.T) {
	s := Scope{Account: "000000000000", Region: "eu-west-1"}
	if got, want := s.ClusterARN("prod"), "arn:aws:ecs:eu-west-1:000000000000:cluster/prod"; got != want {
		t.Errorf("ClusterARN = %s, want %s", got, want)
	}
	if got, want := s.TaskDefinitionARN("web", 3), "arn:aws:ecs:eu-west-1:000000000000:task-definition/web:3"; got != want {
		t.Errorf("TaskDefinitionARN = %s, want %s", got, want)
	}
	if got, want := s.TaskARN("prod", "abc"), "arn:aws:ecs:eu-west-1:000000000000:task/prod/abc"; got != want {
		t.Errorf("TaskARN = %s, want %s", got, want)
	}
}

func TestClusterName(t *testing.T) {
	for in, want := range map[string]string{
		"":     "default",
		"prod": "prod",
		"arn:aws:ecs:us-east-1:000000000000:cluster/prod": "prod",
	} {
		if got := ClusterName(in); got != want {
			t.Errorf("ClusterName(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseTaskDefRef(t *testing.T) {
	tests := []struct {
		in   string
		want TaskDefRef
		ok   bool
	}{
		{"web", TaskDefRef{"web", 0}, true},
		{"web:7", TaskDefRef{"web", 7}, true},
		{"arn:aws:ecs:us-east-1:000000000000:task-definition/web:2", TaskDefRef{"web", 2}, true},
		{"web:0", TaskDefRef{}, false},
		{"web:x", TaskDefRef{}, false},
		{"we b", TaskDefRef{}, false},
		{"arn:aws:ecs:us-east-1:000000000000:cluster/web", TaskDefRef{}, false},
		{"", TaskDefRef{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, ok := ParseTaskDefRef(tt.in)
			if ok != tt.ok || (ok && got != tt.want) {
				t.Errorf("ParseTaskDefRef(%q) = %+v, %v; want %+v, %v", tt.in, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestTaskDefRevisionText(t *testing.T) {
	tests := []struct {
		name, in, rev string
		has, valid    bool
	}{
		{"family only", "web", "", false, false},
		{"family and revision", "web:7", "7", true, true},
		{"ARN with revision", "arn:aws:ecs:us-east-1:000000000000:task-definition/web:2", "2", true, true},
		{"ARN without revision", "arn:aws:ecs:us-east-1:000000000000:task-definition/web", "", false, false},
		{"word revision", "web:latest", "latest", true, false},
		{"zero revision", "web:0", "0", true, false},
		{"empty revision", "web:", "", true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rev, has := TaskDefRevisionText(tt.in)
			if rev != tt.rev || has != tt.has || ValidRevision(rev) != tt.valid {
				t.Errorf("TaskDefRevisionText(%q) = %q, %v (valid %v); want %q, %v (valid %v)", tt.in, rev, has, ValidRevision(rev), tt.rev, tt.has, tt.valid)
			}
		})
	}
}
