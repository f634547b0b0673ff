package eventbridge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/wharfhq/wharf/api/eventbridgetypes"
)

// What a target receives: the event, or its Input, InputPath or
// InputTransformer.

func decodeAny(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, errors.New("trailing data")
	}
	return v, nil
}

func decodeObject(s string) (map[string]any, error) {
	v, err := decodeAny(s)
	if err != nil {
		return nil, err
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not a JSON object")
	}
	return m, nil
}

// pathStep is one step of a JSON path: a member name or an array index.
type pathStep struct {
	key   string
	index int // -1 for a key
}

// parsePath reads the JSON paths EventBridge takes: $, $.a.b, $.a[0],
// $['a-b'].
func parsePath(p string) ([]pathStep, error) {
	rest, ok := strings.CutPrefix(p, "$")
	if !ok {
		return nil, fmt.Errorf("a path begins with $")
	}
	var steps []pathStep
	for rest != "" {
		switch {
		case strings.HasPrefix(rest, "['"):
			end := strings.Index(rest, "']")
			if end < 0 {
				return nil, fmt.Errorf("unclosed ['")
			}
			steps = append(steps, pathStep{key: rest[2:end], index: -1})
			rest = rest[end+2:]
		case strings.HasPrefix(rest, "["):
			end := strings.Index(rest, "]")
			if end < 0 {
				return nil, fmt.Errorf("unclosed [")
			}
			n, err := strconv.Atoi(rest[1:end])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("bad index %q", rest[1:end])
			}
			steps = append(steps, pathStep{index: n})
			rest = rest[end+1:]
		case strings.HasPrefix(rest, "."):
			rest = rest[1:]
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			if end == 0 {
				return nil, fmt.Errorf("empty member name")
			}
			steps = append(steps, pathStep{key: rest[:end], index: -1})
			rest = rest[end:]
		default:
			return nil, fmt.Errorf("unexpected %q", rest)
		}
	}
	return steps, nil
}

// lookup follows a path in v; ok is false when it leads nowhere.
func lookup(v any, p string) (any, bool) {
	steps, err := parsePath(p)
	if err != nil {
		return nil, false
	}
	for _, s := range steps {
		if s.index >= 0 {
			arr, ok := v.([]any)
			if !ok || s.index >= len(arr) {
				return nil, false
			}
			v = arr[s.index]
			continue
		}
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = obj[s.key]; !ok {
			return nil, false
		}
	}
	return v, true
}

func marshal(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}

// targetInput is what target t receives for the event (as JSON text, or
// the transformer's text).
func targetInput(t *eventbridgetypes.Target, event map[string]any, eventJSON, ruleName, ruleARN string) string {
	switch {
	case t.Input != nil:
		return *t.Input
	case t.InputPath != nil:
		v, ok := lookup(event, *t.InputPath)
		if !ok {
			return "null"
		}
		return marshal(v)
	case t.InputTransformer != nil:
		return transform(t.InputTransformer, event, eventJSON, ruleName, ruleARN)
	}
	return eventJSON
}

// transform fills the template's <name> placeholders: a string value goes
// in as its text (inside the template's quotes, escaped for JSON), any
// other value as its JSON. A path that leads nowhere is null (empty
// inside quotes).
func transform(tr *eventbridgetypes.InputTransformer, event map[string]any, eventJSON, ruleName, ruleARN string) string {
	vals := map[string]any{
		"aws.events.rule-name":  ruleName,
		"aws.events.rule-arn":   ruleARN,
		"aws.events.event":      event,
		"aws.events.event.json": event,
	}
	if t, ok := event["time"]; ok {
		vals["aws.events.event.ingestion-time"] = t
	}
	for k, p := range tr.InputPathsMap {
		if v, ok := lookup(event, p); ok {
			vals[k] = v
		} else {
			vals[k] = nil
		}
	}
	tmpl := *tr.InputTemplate
	var out strings.Builder
	inQuotes := false
	for i := 0; i < len(tmpl); i++ {
		c := tmpl[i]
		if c == '"' && (i == 0 || tmpl[i-1] != '\\') {
			inQuotes = !inQuotes
		}
		if c == '<' {
			if end := strings.IndexByte(tmpl[i:], '>'); end > 0 {
				if v, ok := vals[tmpl[i+1:i+end]]; ok {
					out.WriteString(render(v, inQuotes))
					i += end
					continue
				}
			}
		}
		out.WriteByte(c)
	}
	return out.String()
}

func render(v any, inQuotes bool) string {
	s, isStr := v.(string)
	switch {
	case isStr && inQuotes:
		q := marshal(s)
		return q[1 : len(q)-1]
	case isStr:
		return s
	case v == nil && inQuotes:
		return ""
	case inQuotes:
		q := marshal(marshal(v))
		return q[1 : len(q)-1]
	}
	return marshal(v)
}
