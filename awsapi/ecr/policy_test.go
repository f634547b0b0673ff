package ecr

import (
	"slices"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 1, 10, 12, 0, 0, 0, time.UTC)

func img(d string, daysAgo int, tags ...string) PolicyImage {
	return PolicyImage{Digest: d, Tags: tags, PushedAt: t0.Add(-time.Duration(daysAgo) * 24 * time.Hour)}
}

func rule(prio int32, status string, prefixes, patterns []string, countType string, n int) Rule {
	r := Rule{RulePriority: prio, Selection: Selection{TagStatus: status, TagPrefixList: prefixes, TagPatternList: patterns, CountType: countType, CountNumber: n}}
	if countType == "sinceImagePushed" {
		r.Selection.CountUnit = "days"
	}
	r.Action.Type = "expire"
	return r
}

func TestEvaluate(t *testing.T) {
	imgs := []PolicyImage{
		img("a", 10, "prod-1"),
		img("b", 8, "prod-2", "latest"),
		img("c", 6, "prod-3"),
		img("d", 5),
		img("e", 4),
		img("f", 3, "dev-1"),
		img("g", 1, "release-1.0", "prod-4"),
	}
	tests := []struct {
		name  string
		rules []Rule
		want  []Expiry
	}{
		{"untagged beyond a count, oldest first",
			[]Rule{rule(1, "untagged", nil, nil, "imageCountMoreThan", 1)},
			[]Expiry{{"d", 1}}},
		{"tagged by prefix beyond a count",
			[]Rule{rule(1, "tagged", []string{"prod"}, nil, "imageCountMoreThan", 2)},
			[]Expiry{{"b", 1}, {"a", 1}}},
		{"every prefix must match one tag",
			[]Rule{rule(1, "tagged", []string{"prod", "release"}, nil, "sinceImagePushed", 0+1)},
			nil},
		{"pattern with a wildcard",
			[]Rule{rule(1, "tagged", nil, []string{"prod-*"}, "sinceImagePushed", 7)},
			[]Expiry{{"a", 1}, {"b", 1}}},
		{"pattern matches the whole tag",
			[]Rule{rule(1, "tagged", nil, []string{"prod"}, "sinceImagePushed", 1)},
			nil},
		{"since pushed, any",
			[]Rule{rule(1, "any", nil, nil, "sinceImagePushed", 5)},
			[]Expiry{{"a", 1}, {"b", 1}, {"c", 1}}},
		{"a higher priority's selection is out of lower rules' reach",
			[]Rule{rule(2, "any", nil, nil, "imageCountMoreThan", 1), rule(1, "tagged", []string{"prod"}, nil, "imageCountMoreThan", 10)},
			// prod images (a b c g) are kept by rule 1; rule 2 sees d e f, keeps f.
			[]Expiry{{"e", 2}, {"d", 2}}},
		{"priorities apply in ascending order whatever the list order",
			[]Rule{rule(5, "untagged", nil, nil, "imageCountMoreThan", 1), rule(3, "any", nil, nil, "imageCountMoreThan", 6)},
			[]Expiry{{"a", 3}}},
		{"nothing over the count",
			[]Rule{rule(1, "any", nil, nil, "imageCountMoreThan", 100)},
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Evaluate(Policy{Rules: tt.rules}, imgs, t0)
			if !slices.Equal(got, tt.want) {
				t.Fatalf("Evaluate = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestParsePolicy(t *testing.T) {
	tests := []struct {
		name    string
		text    string
		wantErr string
	}{
		{"valid", `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["v"],"countType":"imageCountMoreThan","countNumber":3},"action":{"type":"expire"}},
			{"rulePriority":2,"selection":{"tagStatus":"any","countType":"sinceImagePushed","countUnit":"days","countNumber":14},"action":{"type":"expire"}}]}`, ""},
		{"not JSON", `{`, "not valid JSON"},
		{"unknown member", `{"rules":[],"x":1}`, "not valid JSON"},
		{"no rules", `{"rules":[]}`, "at least one rule"},
		{"tagged without a list", `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}`, "tagPrefixList or a tagPatternList"},
		{"both lists", `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"tagged","tagPrefixList":["a"],"tagPatternList":["a*"],"countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}`, "not both"},
		{"list on untagged", `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","tagPrefixList":["a"],"countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}}]}`, "only for tagStatus tagged"},
		{"duplicate priority", `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":2},"action":{"type":"expire"}}]}`, "more than one rule"},
		{"any not last", `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"expire"}},{"rulePriority":2,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":2},"action":{"type":"expire"}}]}`, "highest rulePriority"},
		{"days without unit", `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"sinceImagePushed","countNumber":1},"action":{"type":"expire"}}]}`, "countUnit days"},
		{"unit with a count", `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countUnit":"days","countNumber":1},"action":{"type":"expire"}}]}`, "countUnit is only"},
		{"zero count", `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":0},"action":{"type":"expire"}}]}`, "at least 1"},
		{"other action", `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":1},"action":{"type":"archive"}}]}`, "must be expire"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePolicy(tt.text)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("ParsePolicy: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("ParsePolicy error = %v, want one saying %q", err, tt.wantErr)
			}
		})
	}
}

func TestWildcard(t *testing.T) {
	tests := []struct {
		pattern, tag string
		want         bool
	}{
		{"prod*", "prod-1", true},
		{"*-rc", "1.0-rc", true},
		{"v?", "v1", false}, // ? is a literal in ECR patterns
		{"v?", "v?", true},
		{"a*b*c", "axxbyyc", true},
		{"[x]", "[x]", true},
		{"prod", "prod-1", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+" "+tt.tag, func(t *testing.T) {
			if got := wildcard(tt.pattern, tt.tag); got != tt.want {
				t.Fatalf("wildcard(%q, %q) = %v", tt.pattern, tt.tag, got)
			}
		})
	}
}
