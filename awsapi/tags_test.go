package awsapi_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/wharfhq/wharf/awsapi"
)

type tag struct{ k, v string }

func kv(t tag) (string, string) { return t.k, t.v }
func key(t tag) string          { return t.k }

func TestCheckTags(t *testing.T) {
	rules := awsapi.TagRules{
		Max:       2,
		TooMany:   func(n int) error { return fmt.Errorf("too many %d", n) },
		Duplicate: func(k string) error { return fmt.Errorf("duplicate %s", k) },
		KeyLen:    func(k string, n int) error { return fmt.Errorf("key length %d", n) },
		ValueLen:  func(k string, n int) error { return fmt.Errorf("value length %d", n) },
		Reserved:  func(k string) error { return fmt.Errorf("reserved %s", k) },
	}
	tests := []struct {
		name string
		tags []tag
		want string
	}{
		{name: "fine", tags: []tag{{"a", "1"}, {"b", strings.Repeat("é", 256)}}},
		{name: "duplicate", tags: []tag{{"a", "1"}, {"a", "2"}}, want: "duplicate a"},
		{name: "empty key", tags: []tag{{"", "1"}}, want: "key length 0"},
		{name: "long key in characters", tags: []tag{{strings.Repeat("é", 129), ""}}, want: "key length 129"},
		{name: "long value", tags: []tag{{"a", strings.Repeat("x", 257)}}, want: "value length 257"},
		{name: "reserved in any case", tags: []tag{{"AWS:x", ""}}, want: "reserved AWS:x"},
		{name: "too many, after the tags", tags: []tag{{"a", ""}, {"b", ""}, {"aws:c", ""}}, want: "reserved aws:c"},
		{name: "too many", tags: []tag{{"a", ""}, {"b", ""}, {"c", ""}}, want: "too many 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := awsapi.CheckTags(rules, tc.tags, kv)
			if got := fmt.Sprint(err); tc.want == "" && err != nil || tc.want != "" && got != tc.want {
				t.Fatalf("err %v, want %q", err, tc.want)
			}
		})
	}
	t.Run("count", func(t *testing.T) {
		if err := rules.Count(2); err != nil {
			t.Fatal(err)
		}
		if err := rules.Count(3); fmt.Sprint(err) != "too many 3" {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("wharf's wording", func(t *testing.T) {
		r := awsapi.TagRulesIn(1, func(f string, a ...any) error { return fmt.Errorf("invalid: "+f, a...) },
			func(f string, a ...any) error { return fmt.Errorf("limit: "+f, a...) })
		for _, tc := range []struct {
			tags []tag
			want string
		}{
			{[]tag{{"aws:k", ""}}, `invalid: Tag key "aws:k" uses the reserved prefix aws:.`},
			{[]tag{{"k", strings.Repeat("v", 257)}}, `invalid: Tag values must be at most 256 characters long, got 257 (key "k").`},
			{[]tag{{"a", ""}, {"b", ""}}, "limit: A resource can have at most 1 tags, got 2."},
		} {
			if err := awsapi.CheckTags(r, tc.tags, kv); fmt.Sprint(err) != tc.want {
				t.Errorf("err %v, want %s", err, tc.want)
			}
		}
	})
	t.Run("unset rules are not checked", func(t *testing.T) {
		if err := awsapi.CheckTags(awsapi.TagRules{}, []tag{{"", ""}, {"", "aws:"}}, kv); err != nil {
			t.Fatal(err)
		}
		if err := (awsapi.TagRules{Max: 1}).Count(5); !errors.Is(err, nil) {
			t.Fatal(err)
		}
	})
}

func TestMergeAndRemoveTags(t *testing.T) {
	cur := []tag{{"a", "1"}, {"b", "2"}}
	merged := awsapi.MergeTags(cur, []tag{{"b", "3"}, {"c", "4"}}, key)
	if got := fmt.Sprint(merged); got != "[{a 1} {b 3} {c 4}]" {
		t.Fatalf("merged %s", got)
	}
	removed := awsapi.RemoveTags(merged, []string{"a", "zz"}, key)
	if got := fmt.Sprint(removed); got != "[{b 3} {c 4}]" {
		t.Fatalf("removed %s", got)
	}
	if got := fmt.Sprint(cur, merged); got != "[{a 1} {b 2}] [{a 1} {b 3} {c 4}]" {
		t.Fatalf("inputs changed: %s", got)
	}
}
