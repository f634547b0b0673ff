package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"sort"
	"strings"
)

// Trait names used by the generator.
const (
	traitDocumentation = "smithy.api#documentation"
	traitRequired      = "smithy.api#required"
	traitDefault       = "smithy.api#default"
	traitLength        = "smithy.api#length"
	traitRange         = "smithy.api#range"
	traitPattern       = "smithy.api#pattern"
	traitEnum          = "smithy.api#enum"
	traitEnumValue     = "smithy.api#enumValue"
	traitSensitive     = "smithy.api#sensitive"
	traitJSONName      = "smithy.api#jsonName"
	traitXMLName       = "smithy.api#xmlName"
	traitXMLFlattened  = "smithy.api#xmlFlattened"
	traitError         = "smithy.api#error"
	traitHTTPError     = "smithy.api#httpError"
	traitPaginated     = "smithy.api#paginated"
	traitQueryError    = "aws.protocols#awsQueryError"
	traitService       = "aws.api#service"
	traitSigV4         = "aws.auth#sigv4"
	unitID             = "smithy.api#Unit"
)

// protocolTraits maps the AWS protocol traits to short protocol names.
var protocolTraits = []struct{ trait, name string }{
	{"aws.protocols#awsJson1_1", "awsJson1_1"},
	{"aws.protocols#awsJson1_0", "awsJson1_0"},
	{"aws.protocols#restJson1", "restJson1"},
	{"aws.protocols#awsQuery", "awsQuery"},
	{"aws.protocols#ec2Query", "ec2Query"},
	{"aws.protocols#restXml", "restXml"},
}

// Model is a parsed Smithy JSON AST.
type Model struct {
	Smithy string            `json:"smithy"`
	Shapes map[string]*Shape `json:"shapes"`
}

// Ref is a shape reference ({"target": "ns#Name"}).
type Ref struct {
	Target string `json:"target"`
}

// Traits are a shape's or member's traits, undecoded.
type Traits map[string]json.RawMessage

// Has reports whether the trait is present.
func (t Traits) Has(name string) bool {
	_, ok := t[name]
	return ok
}

// Decode decodes the trait's value into v and reports whether it was present.
func (t Traits) Decode(name string, v any) bool {
	raw, ok := t[name]
	if !ok {
		return false
	}
	if err := json.Unmarshal(raw, v); err != nil {
		panic(fmt.Sprintf("smithygen: trait %s: %v", name, err))
	}
	return true
}

// String returns a string-valued trait, or "".
func (t Traits) String(name string) string {
	var s string
	if raw, ok := t[name]; ok {
		_ = json.Unmarshal(raw, &s)
	}
	return s
}

// Member is a member of a structure, union, enum, list or map.
type Member struct {
	Name   string
	Target string `json:"target"`
	Traits Traits `json:"traits"`
}

// Members is an ordered member list; it decodes from a JSON object keeping the
// model's order.
type Members []*Member

// UnmarshalJSON decodes the members object in order.
func (ms *Members) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("members: expected an object")
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		m := &Member{Name: t.(string)}
		if err := dec.Decode(m); err != nil {
			return err
		}
		*ms = append(*ms, m)
	}
	return nil
}

// Shape is one shape of the model.
type Shape struct {
	ID      string  `json:"-"`
	Type    string  `json:"type"`
	Members Members `json:"members"`
	Member  *Member `json:"member"`
	Key     *Member `json:"key"`
	Value   *Member `json:"value"`
	Traits  Traits  `json:"traits"`

	// operation
	Input  *Ref  `json:"input"`
	Output *Ref  `json:"output"`
	Errors []Ref `json:"errors"`

	// service and resource
	Version              string `json:"version"`
	Operations           []Ref  `json:"operations"`
	Resources            []Ref  `json:"resources"`
	CollectionOperations []Ref  `json:"collectionOperations"`
	Create               *Ref   `json:"create"`
	Put                  *Ref   `json:"put"`
	Read                 *Ref   `json:"read"`
	Update               *Ref   `json:"update"`
	Delete               *Ref   `json:"delete"`
	List                 *Ref   `json:"list"`
}

// Name is the shape's name without its namespace.
func (s *Shape) Name() string { return localName(s.ID) }

func localName(id string) string {
	if i := strings.LastIndexByte(id, '#'); i >= 0 {
		return id[i+1:]
	}
	return id
}

// prelude holds the smithy.api shapes that models reference without defining.
var prelude = map[string]string{
	"String": "string", "Blob": "blob", "Boolean": "boolean", "Byte": "byte",
	"Short": "short", "Integer": "integer", "Long": "long", "Float": "float",
	"Double": "double", "BigInteger": "bigInteger", "BigDecimal": "bigDecimal",
	"Timestamp": "timestamp", "Document": "document",
	"PrimitiveBoolean": "boolean", "PrimitiveByte": "byte", "PrimitiveShort": "short",
	"PrimitiveInteger": "integer", "PrimitiveLong": "long", "PrimitiveFloat": "float",
	"PrimitiveDouble": "double",
}

// LoadModel reads and parses a Smithy JSON model and adds the prelude shapes.
func LoadModel(path string) (*Model, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseModel(b)
}

// ParseModel parses a Smithy JSON model and adds the prelude shapes.
func ParseModel(b []byte) (*Model, error) {
	var m Model
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse model: %w", err)
	}
	if m.Shapes == nil {
		return nil, fmt.Errorf("parse model: no shapes")
	}
	for id, s := range m.Shapes {
		s.ID = id
	}
	for name, typ := range prelude {
		id := "smithy.api#" + name
		if _, ok := m.Shapes[id]; ok {
			continue
		}
		s := &Shape{ID: id, Type: typ, Traits: Traits{}}
		if strings.HasPrefix(name, "Primitive") {
			if typ == "boolean" {
				s.Traits[traitDefault] = json.RawMessage("false")
			} else {
				s.Traits[traitDefault] = json.RawMessage("0")
			}
		}
		m.Shapes[id] = s
	}
	return &m, nil
}

// Shape returns the shape with the given id; it panics on a dangling reference
// (the models are validated by Smithy, so this is a generator bug).
func (m *Model) Shape(id string) *Shape {
	s, ok := m.Shapes[id]
	if !ok {
		panic("smithygen: unknown shape " + id)
	}
	return s
}

// SortedIDs returns the ids of all shapes of the given types, sorted by name
// and then by id.
func (m *Model) SortedIDs(types ...string) []string {
	var ids []string
	for id, s := range m.Shapes {
		for _, t := range types {
			if s.Type == t {
				ids = append(ids, id)
				break
			}
		}
	}
	sort.Slice(ids, func(i, j int) bool {
		a, b := localName(ids[i]), localName(ids[j])
		if a != b {
			return a < b
		}
		return ids[i] < ids[j]
	})
	return ids
}

// Service returns the model's single service shape.
func (m *Model) Service() (*Shape, error) {
	ids := m.SortedIDs("service")
	if len(ids) != 1 {
		return nil, fmt.Errorf("model has %d service shapes, want 1", len(ids))
	}
	return m.Shapes[ids[0]], nil
}

// OperationIDs returns the ids of the service's operations, including those
// bound to its resources (recursively), sorted by name.
func (m *Model) OperationIDs(svc *Shape) []string {
	seen := map[string]bool{}
	var visit func(s *Shape)
	addOp := func(r *Ref) {
		if r != nil {
			seen[r.Target] = true
		}
	}
	visit = func(s *Shape) {
		for _, r := range s.Operations {
			addOp(&r)
		}
		for _, r := range s.CollectionOperations {
			addOp(&r)
		}
		for _, r := range []*Ref{s.Create, s.Put, s.Read, s.Update, s.Delete, s.List} {
			addOp(r)
		}
		for _, r := range s.Resources {
			visit(m.Shape(r.Target))
		}
	}
	visit(svc)
	ids := make([]string, 0, len(seen))
	for id := range seen {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return localName(ids[i]) < localName(ids[j]) })
	return ids
}

// Protocol returns the short name of the service's protocol trait, or "".
func Protocol(svc *Shape) string {
	for _, p := range protocolTraits {
		if svc.Traits.Has(p.trait) {
			return p.name
		}
	}
	return ""
}

// isXMLProtocol reports protocols whose responses are XML.
func isXMLProtocol(p string) bool {
	return p == "awsQuery" || p == "ec2Query" || p == "restXml"
}
