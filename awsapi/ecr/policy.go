package ecr

import (
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"
	"time"
)

// A lifecycle policy, as ECR documents it, and its evaluation: a pure
// function of the policy, the images and the time.

// Policy is a parsed lifecycle policy.
type Policy struct {
	Rules []Rule `json:"rules"`
}

// Rule is one lifecycle rule.
type Rule struct {
	RulePriority int32     `json:"rulePriority"`
	Description  string    `json:"description,omitempty"`
	Selection    Selection `json:"selection"`
	Action       struct {
		Type string `json:"type"`
	} `json:"action"`
}

// Selection says which images a rule considers and when it expires them.
type Selection struct {
	TagStatus      string   `json:"tagStatus"`
	TagPrefixList  []string `json:"tagPrefixList,omitempty"`
	TagPatternList []string `json:"tagPatternList,omitempty"`
	CountType      string   `json:"countType"`
	CountUnit      string   `json:"countUnit,omitempty"`
	CountNumber    int      `json:"countNumber"`
}

// PolicyImage is what evaluation needs of an image.
type PolicyImage struct {
	Digest   string
	Tags     []string
	PushedAt time.Time
}

// Expiry is one image a rule expires.
type Expiry struct {
	Digest   string
	Priority int32
}

// ParsePolicy reads and checks a lifecycle policy; the error says what to
// fix.
func ParsePolicy(text string) (Policy, error) {
	var p Policy
	dec := json.NewDecoder(strings.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return p, fmt.Errorf("the policy is not valid JSON of a lifecycle policy: %v", err)
	}
	if len(p.Rules) == 0 {
		return p, fmt.Errorf("a lifecycle policy needs at least one rule")
	}
	seen := map[int32]bool{}
	maxPriority := int32(0)
	for _, r := range p.Rules {
		maxPriority = max(maxPriority, r.RulePriority)
	}
	for _, r := range p.Rules {
		s := r.Selection
		switch {
		case r.RulePriority < 1:
			return p, fmt.Errorf("rulePriority must be a positive integer, got %d", r.RulePriority)
		case seen[r.RulePriority]:
			return p, fmt.Errorf("rulePriority %d is used by more than one rule", r.RulePriority)
		case r.Action.Type != "expire":
			return p, fmt.Errorf("rule %d: action type must be expire, got %q", r.RulePriority, r.Action.Type)
		case s.TagStatus != "tagged" && s.TagStatus != "untagged" && s.TagStatus != "any":
			return p, fmt.Errorf("rule %d: tagStatus must be tagged, untagged or any, got %q", r.RulePriority, s.TagStatus)
		case s.TagStatus == "tagged" && len(s.TagPrefixList) == 0 && len(s.TagPatternList) == 0:
			return p, fmt.Errorf("rule %d: a rule with tagStatus tagged needs a tagPrefixList or a tagPatternList", r.RulePriority)
		case s.TagStatus == "tagged" && len(s.TagPrefixList) > 0 && len(s.TagPatternList) > 0:
			return p, fmt.Errorf("rule %d: give tagPrefixList or tagPatternList, not both", r.RulePriority)
		case s.TagStatus != "tagged" && (len(s.TagPrefixList) > 0 || len(s.TagPatternList) > 0):
			return p, fmt.Errorf("rule %d: tagPrefixList and tagPatternList are only for tagStatus tagged", r.RulePriority)
		case s.TagStatus == "any" && r.RulePriority != maxPriority:
			return p, fmt.Errorf("rule %d: a rule with tagStatus any must have the highest rulePriority", r.RulePriority)
		case s.CountNumber < 1:
			return p, fmt.Errorf("rule %d: countNumber must be at least 1", r.RulePriority)
		case s.CountType == "imageCountMoreThan" && s.CountUnit != "":
			return p, fmt.Errorf("rule %d: countUnit is only for countType sinceImagePushed", r.RulePriority)
		case s.CountType == "sinceImagePushed" && s.CountUnit != "days":
			return p, fmt.Errorf("rule %d: countType sinceImagePushed needs countUnit days", r.RulePriority)
		case s.CountType != "imageCountMoreThan" && s.CountType != "sinceImagePushed":
			return p, fmt.Errorf("rule %d: countType must be imageCountMoreThan or sinceImagePushed, got %q", r.RulePriority, s.CountType)
		}
		for _, pat := range s.TagPatternList {
			if strings.Count(pat, "*") > 4 {
				return p, fmt.Errorf("rule %d: a tag pattern may have at most 4 wildcards, got %q", r.RulePriority, pat)
			}
		}
		seen[r.RulePriority] = true
	}
	return p, nil
}

// Evaluate is what policy expires of imgs at now. Rules apply in
// ascending rulePriority; an image a rule selects (whether it keeps or
// expires it) is not considered by rules of lower priority, as ECR
// documents. imageCountMoreThan keeps the countNumber most recently
// pushed of the images it selects; sinceImagePushed expires those pushed
// more than countNumber days before now.
func Evaluate(p Policy, imgs []PolicyImage, now time.Time) []Expiry {
	rules := slices.Clone(p.Rules)
	sort.Slice(rules, func(i, j int) bool { return rules[i].RulePriority < rules[j].RulePriority })
	taken := map[string]bool{}
	var out []Expiry
	for _, r := range rules {
		var sel []PolicyImage
		for _, im := range imgs {
			if !taken[im.Digest] && selects(r.Selection, im) {
				sel = append(sel, im)
				taken[im.Digest] = true
			}
		}
		switch r.Selection.CountType {
		case "imageCountMoreThan":
			// Newest first; ties in push time by digest, so the answer
			// does not depend on the input order.
			sort.Slice(sel, func(i, j int) bool {
				if !sel[i].PushedAt.Equal(sel[j].PushedAt) {
					return sel[i].PushedAt.After(sel[j].PushedAt)
				}
				return sel[i].Digest < sel[j].Digest
			})
			for _, im := range sel[min(len(sel), r.Selection.CountNumber):] {
				out = append(out, Expiry{Digest: im.Digest, Priority: r.RulePriority})
			}
		case "sinceImagePushed":
			cutoff := now.Add(-time.Duration(r.Selection.CountNumber) * 24 * time.Hour)
			for _, im := range sel {
				if im.PushedAt.Before(cutoff) {
					out = append(out, Expiry{Digest: im.Digest, Priority: r.RulePriority})
				}
			}
		}
	}
	return out
}

// selects reports whether s's tag requirements match im: every prefix (or
// pattern) of a tagged rule must match one of the image's tags.
func selects(s Selection, im PolicyImage) bool {
	switch s.TagStatus {
	case "untagged":
		return len(im.Tags) == 0
	case "any":
		return true
	}
	if len(im.Tags) == 0 {
		return false
	}
	for _, pre := range s.TagPrefixList {
		if !slices.ContainsFunc(im.Tags, func(t string) bool { return strings.HasPrefix(t, pre) }) {
			return false
		}
	}
	for _, pat := range s.TagPatternList {
		if !slices.ContainsFunc(im.Tags, func(t string) bool { return wildcard(pat, t) }) {
			return false
		}
	}
	return true
}

// wildcard matches tag against pattern, where * stands for any run of
// characters and every other character for itself.
func wildcard(pattern, tag string) bool {
	// path.Match gives ? [ ] \ meanings ECR does not; escape them.
	esc := strings.NewReplacer(`\`, `\\`, `?`, `\?`, `[`, `\[`, `]`, `\]`).Replace(pattern)
	// path.Match's * stops at '/', which a tag cannot contain.
	ok, err := path.Match(esc, tag)
	return err == nil && ok
}
