package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// sourceTrait marks what the overlay adds; smithygen's Merge requires it.
const sourceTrait = "wharf#source"

const overlayNote = "Shapes and members that AWS added after the model snapshot, reachable from members the snapshot lacks " +
	"(new operations are not included), written by internal/smithygen/sdkoverlay. Each added shape and member carries " +
	"wharf#source, the SDK module and version it was read from: member names, targets and enum values from its " +
	"schemas/schemas.go and types/enums.go; documentation, required (\"This member is required.\") and defaults " +
	"(value-typed fields) from types/types.go. The SDK carries no length, range or pattern constraints, so none are here."

var (
	schemaRE = regexp.MustCompile(`var (\w+) = smithy\.NewSchema\(smithy\.ShapeID\{\s*Namespace:\s*"([^"]+)",\s*Name:\s*"([^"]+)",\s*\}, smithy\.ShapeType(\w+), \d+([^\n]*(?:\n\t[^\n]*)*?)\)\n`)
	memberRE = regexp.MustCompile(`\n\t\w+ = (\w+)\.AddMember\("([^"]+)", ([\w.]+)[,)]`)
	structRE = regexp.MustCompile(`\n((?://[^\n]*\n)*)type (\w+) struct \{\n((?s:.*?))\n\}\n`)
	fieldRE  = regexp.MustCompile(`^(\w+)\s+(\S+)`)
	quotedRE = regexp.MustCompile(`"([^"]*)"`)
	nonAlnum = regexp.MustCompile(`[^a-z0-9]`)
)

// sdkShape is a shape as the SDK's schemas declare it.
type sdkShape struct {
	typ       string
	members   []sdkMember // in declaration order
	sensitive bool
}

type sdkMember struct{ name, target string }

// goField is a field of an SDK Go struct: its Go type and doc comment lines.
type goField struct {
	goType string
	doc    []string
}

type goStruct struct {
	fields map[string]goField // by normalized name
	doc    []string
}

// sdk is what the overlay is read from.
type sdk struct {
	shapes  map[string]*sdkShape
	structs map[string]goStruct
	types   string // types/types.go
	enums   string // types/enums.go
}

func loadSDK(dir string) (*sdk, error) {
	read := func(p string) (string, error) {
		b, err := os.ReadFile(filepath.Join(dir, p))
		return string(b), err
	}
	schemas, err := read("schemas/schemas.go")
	if err != nil {
		return nil, err
	}
	s := &sdk{shapes: map[string]*sdkShape{}, structs: map[string]goStruct{}}
	if s.types, err = read("types/types.go"); err != nil {
		return nil, err
	}
	if s.enums, err = read("types/enums.go"); err != nil {
		return nil, err
	}
	varNames := map[string]string{"smithyprelude.Unit": "smithy.api#Unit"}
	for _, m := range schemaRE.FindAllStringSubmatch(schemas, -1) {
		id := m[2] + "#" + m[3]
		varNames[m[1]] = id
		s.shapes[id] = &sdkShape{typ: strings.ToLower(m[4][:1]) + m[4][1:], sensitive: strings.Contains(m[5], "Sensitive")}
	}
	for _, m := range memberRE.FindAllStringSubmatch(schemas, -1) {
		owner, ok1 := varNames[m[1]]
		target, ok2 := varNames[m[3]]
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("schemas.go: member %s of %s targets %s: unknown schema", m[2], m[1], m[3])
		}
		s.shapes[owner].members = append(s.shapes[owner].members, sdkMember{m[2], target})
	}
	for _, m := range structRE.FindAllStringSubmatch(s.types, -1) {
		st := goStruct{fields: map[string]goField{}, doc: commentLines(m[1])}
		var cur []string
		for line := range strings.SplitSeq(m[3], "\n") {
			l := strings.TrimSpace(line)
			if c, ok := strings.CutPrefix(l, "//"); ok {
				cur = append(cur, strings.TrimSpace(c))
				continue
			}
			if f := fieldRE.FindStringSubmatch(l); f != nil && f[1] != "noSmithyDocumentSerde" {
				st.fields[norm(f[1])] = goField{f[2], cur}
			}
			cur = nil
		}
		s.structs[m[2]] = st
	}
	return s, nil
}

// commentLines returns the text of a block of // comment lines.
func commentLines(block string) []string {
	var out []string
	for l := range strings.SplitSeq(strings.TrimSpace(block), "\n") {
		if c, ok := strings.CutPrefix(l, "//"); ok {
			out = append(out, strings.TrimSpace(c))
		}
	}
	return out
}

// paragraph is the first paragraph of a comment, on one line.
func paragraph(lines []string) string {
	var out []string
	for _, l := range lines {
		if l == "" {
			if len(out) > 0 {
				break
			}
			continue
		}
		out = append(out, l)
	}
	return strings.Join(out, " ")
}

func norm(s string) string { return nonAlnum.ReplaceAllString(strings.ToLower(s), "") }

func localName(id string) string { return id[strings.LastIndexByte(id, '#')+1:] }

// enumValues returns the wire values of an SDK enum, in declaration order.
func (s *sdk) enumValues(name string) ([]string, error) {
	q := regexp.QuoteMeta(name)
	re := regexp.MustCompile(`\nfunc \(` + q + `\) Values\(\) \[\]` + q + ` \{\n\treturn \[\]` + q + `\{\n((?s:.*?))\n\t\}`)
	m := re.FindStringSubmatch(s.enums)
	if m == nil {
		return nil, fmt.Errorf("enums.go: no Values for %s", name)
	}
	var out []string
	for _, v := range quotedRE.FindAllStringSubmatch(m[1], -1) {
		out = append(out, v[1])
	}
	return out, nil
}

// unionFields returns the members of an SDK union (Go types NameMemberX)
// with their doc comments, and the union's own doc.
func (s *sdk) unionFields(name string) (map[string]goField, []string) {
	q := regexp.QuoteMeta(name)
	fields := map[string]goField{}
	for _, m := range regexp.MustCompile(`\n((?://[^\n]*\n)*)type `+q+`Member(\w+) struct \{\n\tValue (\S+)`).FindAllStringSubmatch(s.types, -1) {
		fields[norm(m[2])] = goField{"union", commentLines(m[1])}
	}
	var doc []string
	if m := regexp.MustCompile(`\n((?://[^\n]*\n)*)type ` + q + ` interface`).FindStringSubmatch(s.types); m != nil {
		doc = commentLines(m[1])
	}
	return fields, doc
}

// modelShape is what the overlay needs to know of a model shape.
type modelShape struct {
	Type    string                     `json:"type"`
	Members map[string]json.RawMessage `json:"members"`
}

// builder accumulates the overlay's shapes.
type builder struct {
	sdk    *sdk
	model  map[string]modelShape
	source string
	shapes map[string]obj
}

// Build returns the overlay of the SDK module in dir (named source, e.g.
// "github.com/aws/aws-sdk-go-v2/service/ecs v1.106.0") over the model.
func Build(dir, source, modelPath string) ([]byte, error) {
	s, err := loadSDK(dir)
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(modelPath)
	if err != nil {
		return nil, err
	}
	var model struct {
		Shapes map[string]modelShape `json:"shapes"`
	}
	if err := json.Unmarshal(raw, &model); err != nil {
		return nil, fmt.Errorf("%s: %w", modelPath, err)
	}
	b := &builder{sdk: s, model: model.Shapes, source: source, shapes: map[string]obj{}}
	ids := make([]string, 0, len(s.shapes))
	for id := range s.shapes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if err := b.addMissingMembers(id); err != nil {
			return nil, err
		}
	}
	shapes := obj{}
	ids = ids[:0]
	for id := range b.shapes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		shapes = append(shapes, kv{id, b.shapes[id]})
	}
	return encode(obj{{"smithy", "2.0"}, {"metadata", obj{{"wharf#overlay", overlayNote}}}, {"shapes", shapes}})
}

// addMissingMembers adds the members of an existing model shape that the
// SDK has and the model lacks, and the new shapes they reach.
func (b *builder) addMissingMembers(id string) error {
	ss := b.sdk.shapes[id]
	ms, ok := b.model[id]
	if !ok || (ss.typ != "structure" && ss.typ != "union" && ss.typ != "enum") {
		return nil
	}
	var missing []sdkMember
	for _, m := range ss.members {
		if _, ok := ms.Members[m.name]; !ok {
			missing = append(missing, m)
		}
	}
	if len(missing) == 0 {
		return nil
	}
	name := localName(id)
	members := obj{}
	if ss.typ == "enum" {
		values, err := b.sdk.enumValues(name)
		if err != nil {
			return err
		}
		for _, m := range missing {
			i := memberIndex(ss.members, m.name)
			if i >= len(values) {
				return fmt.Errorf("enum %s: %d members, %d values", name, len(ss.members), len(values))
			}
			members = append(members, kv{m.name, obj{{"target", "smithy.api#Unit"},
				{"traits", obj{{"smithy.api#enumValue", values[i]}, {sourceTrait, b.source}}}}})
		}
	} else {
		var fields map[string]goField
		if st, ok := b.sdk.structs[name]; ok {
			fields = st.fields
		}
		for _, m := range missing {
			members = append(members, kv{m.name, b.member(m, fields, true)})
			if err := b.addShape(m.target); err != nil {
				return err
			}
		}
	}
	b.shapes[id] = obj{{"type", ss.typ}, {"members", members}}
	return nil
}

func memberIndex(ms []sdkMember, name string) int {
	for i, m := range ms {
		if m.name == name {
			return i
		}
	}
	return -1
}

// member is a member's JSON: its target and the traits the SDK tells.
func (b *builder) member(m sdkMember, fields map[string]goField, withSource bool) obj {
	traits := obj{}
	if f, ok := fields[norm(m.name)]; ok {
		if slices.Contains(f.doc, "This member is required.") {
			traits = append(traits, kv{"smithy.api#required", obj{}})
		}
		switch f.goType {
		case "bool":
			traits = append(traits, kv{"smithy.api#default", false})
		case "int32", "int64", "float64", "float32":
			traits = append(traits, kv{"smithy.api#default", 0})
		}
		if d := paragraph(f.doc); d != "" {
			traits = append(traits, kv{"smithy.api#documentation", "<p>" + d + "</p>"})
		}
	}
	if withSource {
		traits = append(traits, kv{sourceTrait, b.source})
	}
	out := obj{{"target", m.target}}
	if len(traits) > 0 {
		out = append(out, kv{"traits", traits})
	}
	return out
}

// addShape adds a shape the model lacks, and those it reaches.
func (b *builder) addShape(id string) error {
	if _, ok := b.model[id]; ok || strings.HasPrefix(id, "smithy.api#") {
		return nil
	}
	if _, ok := b.shapes[id]; ok {
		return nil
	}
	ss, ok := b.sdk.shapes[id]
	if !ok {
		return fmt.Errorf("shape %s is in neither the model nor the SDK", id)
	}
	name := localName(id)
	traits := obj{}
	if ss.sensitive {
		traits = append(traits, kv{"smithy.api#sensitive", obj{}})
	}
	shape := obj{{"type", ss.typ}}
	b.shapes[id] = shape // placeholder: shapes may reach themselves
	switch ss.typ {
	case "structure", "union":
		st := b.sdk.structs[name]
		fields, doc := st.fields, st.doc
		if ss.typ == "union" {
			fields, doc = b.sdk.unionFields(name)
		}
		if d := paragraph(doc); d != "" {
			traits = append(traits, kv{"smithy.api#documentation", "<p>" + d + "</p>"})
		}
		members := obj{}
		for _, m := range ss.members {
			members = append(members, kv{m.name, b.member(m, fields, false)})
			if err := b.addShape(m.target); err != nil {
				return err
			}
		}
		shape = append(shape, kv{"members", members})
	case "enum":
		values, err := b.sdk.enumValues(name)
		if err != nil {
			return err
		}
		if len(values) != len(ss.members) {
			return fmt.Errorf("enum %s: %d members, %d values", name, len(ss.members), len(values))
		}
		members := obj{}
		for i, m := range ss.members {
			members = append(members, kv{m.name, obj{{"target", "smithy.api#Unit"}, {"traits", obj{{"smithy.api#enumValue", values[i]}}}}})
		}
		shape = append(shape, kv{"members", members})
	case "list", "map":
		for _, m := range ss.members {
			shape = append(shape, kv{m.name, obj{{"target", m.target}}})
			if err := b.addShape(m.target); err != nil {
				return err
			}
		}
	}
	b.shapes[id] = append(shape, kv{"traits", append(traits, kv{sourceTrait, b.source})})
	return nil
}

// obj is a JSON object that keeps its keys' order (the model's member order
// is the generated structs' field order).
type obj []kv

type kv struct {
	k string
	v any
}

// MarshalJSON writes the object in order, HTML left unescaped.
func (o obj) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i, e := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, err := marshal(e.k)
		if err != nil {
			return nil, err
		}
		v, err := marshal(e.v)
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// encode writes the overlay indented by two spaces, ending in a newline.
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
