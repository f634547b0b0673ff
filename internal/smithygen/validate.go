package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// numeric kinds and the int64 range of their Go types (floats have none).
var intLimits = map[string][2]int64{
	"byte":    {-1 << 7, 1<<7 - 1},
	"short":   {-1 << 15, 1<<15 - 1},
	"integer": {-1 << 31, 1<<31 - 1},
	"long":    {-1 << 63, 1<<63 - 1},
}

func isFloat(kind string) bool { return kind == "float" || kind == "double" }

// bounds is a length or range trait: min and max as written in the model,
// "" when absent.
type bounds struct{ min, max string }

func traitBounds(tr Traits, name string) (bounds, bool) {
	raw, ok := tr[name]
	if !ok {
		return bounds{}, false
	}
	var v struct {
		Min json.Number `json:"min"`
		Max json.Number `json:"max"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		panic(fmt.Sprintf("smithygen: %s: %v", name, err))
	}
	return bounds{min: v.Min.String(), max: v.Max.String()}, true
}

// traitChecks reports whether traits tr ask for a check on a value of kind.
func (g *Generator) traitChecks(tr Traits, kind string) bool {
	switch {
	case kind == "string":
		return tr.Has(traitLength) || g.checkablePattern(tr)
	case kind == "blob" || kind == "list" || kind == "map":
		return tr.Has(traitLength)
	case intLimits[kind] != [2]int64{} || isFloat(kind):
		return tr.Has(traitRange)
	}
	return false
}

func (g *Generator) checkablePattern(tr Traits) bool {
	p := tr.String(traitPattern)
	if p == "" {
		return false
	}
	_, err := g.compilePattern(p)
	return err == nil
}

// compilePattern translates a pattern to Go syntax, caching the result.
func (g *Generator) compilePattern(p string) (string, error) {
	pv, ok := g.patterns[p]
	if !ok {
		goPat, err := translatePattern(p)
		pv = &patternVar{model: p, goPattern: goPat, err: err}
		g.patterns[p] = pv
	}
	return pv.goPattern, pv.err
}

// namePatterns names the package-level variable of every pattern after its
// first owner in a fixed order: pattern-carrying shapes by name, then the
// members of structures, unions, lists and maps.
func (g *Generator) namePatterns() {
	claim := func(p, owner string) {
		if p == "" {
			return
		}
		if _, err := g.compilePattern(p); err != nil || g.patterns[p].name != "" {
			return
		}
		name := "pattern" + owner
		for n := 2; g.patternVars[name]; n++ {
			name = "pattern" + owner + strconv.Itoa(n)
		}
		g.patternVars[name] = true
		g.patterns[p].name = name
	}
	for _, id := range g.m.SortedIDs("string") {
		s := g.m.Shapes[id]
		claim(s.Traits.String(traitPattern), exportName(s.Name()))
	}
	for _, id := range g.m.SortedIDs("structure", "union", "list", "map") {
		s := g.m.Shapes[id]
		for _, m := range s.Members {
			claim(m.Traits.String(traitPattern), exportName(s.Name())+exportName(m.Name))
		}
		for _, m := range []*Member{s.Member, s.Key, s.Value} {
			if m != nil {
				claim(m.Traits.String(traitPattern), exportName(s.Name())+exportName(m.Name))
			}
		}
	}
}

// computeNeeds decides, for every shape, whether validating one of its values
// does anything: its own traits, enum membership, required members, or (to a
// fixpoint, since shapes can be recursive) anything nested.
func (g *Generator) computeNeeds() {
	g.namePatterns()
	g.needs = map[string]bool{}
	memberNeeds := func(m *Member) bool {
		t := g.m.Shape(m.Target)
		return g.traitChecks(m.Traits, g.kind(t)) || g.needs[t.ID]
	}
	for id, s := range g.m.Shapes {
		switch k := g.kind(s); k {
		case "enum", "intEnum":
			g.needs[id] = true
		case "structure", "union":
			for _, m := range s.Members {
				if m.Target == unitID {
					continue
				}
				t := g.m.Shape(m.Target)
				if m.Traits.Has(traitRequired) && !g.hasValueDefault(m, t) || g.traitChecks(m.Traits, g.kind(t)) {
					g.needs[id] = true
				}
			}
		default:
			g.needs[id] = g.traitChecks(s.Traits, k)
		}
	}
	for changed := true; changed; {
		changed = false
		for _, id := range g.m.SortedIDs("structure", "union", "list", "map") {
			s := g.m.Shapes[id]
			if g.needs[id] {
				continue
			}
			ms := s.Members
			for _, m := range []*Member{s.Member, s.Key, s.Value} {
				if m != nil {
					ms = append(ms, m)
				}
			}
			for _, m := range ms {
				if m.Target != unitID && memberNeeds(m) {
					g.needs[id], changed = true, true
					break
				}
			}
		}
	}
}

func sensitive(tr Traits) bool { return tr.Has(traitSensitive) }

// genValidate writes the Validate method of a structure or union.
func (g *Generator) genValidate(w *bytes.Buffer, s *Shape, name string, fields []field) {
	var body bytes.Buffer
	for _, f := range fields {
		if f.m.Target != unitID {
			g.memberChecks(&body, f)
		}
	}
	if body.Len() == 0 {
		fmt.Fprintf(w, "// Validate implements shape.Validator; %s has no constraints.\nfunc (v *%s) Validate() error { return nil }\n\n", name, name)
		return
	}
	fmt.Fprintf(w, "// Validate checks v against the model's constraints and returns the first\n// violation as a *shape.ValidationError, or nil.\nfunc (v *%s) Validate() error {\nif v == nil {\nreturn nil\n}\n", name)
	w.Write(body.Bytes())
	w.WriteString("return nil\n}\n\n")
}

// memberChecks writes the required check and the value checks of one member.
func (g *Generator) memberChecks(w *bytes.Buffer, f field) {
	expr := "v." + f.goName
	path := strconv.Quote(f.wire)
	required := f.m.Traits.Has(traitRequired) && !f.valueDefault
	hidden := sensitive(f.m.Traits) || sensitive(f.target.Traits)
	scalarPtr := isScalar(f.kind) && !f.valueDefault
	val := expr
	if scalarPtr {
		val = "*" + expr
	}
	var checks bytes.Buffer
	g.valueChecks(&checks, val, path, f.target, f.m.Traits, hidden)
	if required {
		var missing string
		switch f.kind {
		case "enum":
			missing = expr + ` == ""`
		case "intEnum":
			missing = expr + " == 0"
		case "timestamp":
			missing = expr + ".IsZero()"
		default:
			missing = expr + " == nil"
		}
		fmt.Fprintf(w, "if %s {\nreturn shape.Required(%s)\n}\n", missing, path)
	}
	if checks.Len() == 0 {
		return
	}
	// Absent values are not checked. Collection helpers return nil for a nil
	// collection themselves; everything else that can be nil needs a guard.
	guard := scalarPtr || f.kind == "blob" || (f.kind == "list" || f.kind == "map") && f.m.Traits.Has(traitLength)
	if guard && !required {
		fmt.Fprintf(w, "if %s != nil {\n%s}\n", expr, checks.Bytes())
		return
	}
	w.Write(checks.Bytes())
}

// valueChecks writes the checks of a present value: expr is the Go expression
// of the value (not a pointer, except for structures), path the Go expression
// of its path element, t its target shape, mt the traits of the member that
// holds it (nil for none), and hidden whether its value must stay out of
// messages.
func (g *Generator) valueChecks(w *bytes.Buffer, expr, path string, t *Shape, mt Traits, hidden bool) {
	k := g.kind(t)
	prefix := "shape.Prefix"
	if hidden {
		prefix = "shape.PrefixHidden"
	}
	switch {
	case k == "string":
		g.lengthChecks(w, "utf8.RuneCountInString("+expr+")", path, t.Traits, mt, func(reason string) string {
			if hidden {
				return fmt.Sprintf("shape.InvalidHidden(%s, %q)", path, reason)
			}
			return fmt.Sprintf("shape.Invalid(%s, %s, %q)", path, expr, reason)
		})
		g.patternChecks(w, expr, path, t.Traits, mt, hidden)
	case k == "blob":
		g.lengthChecks(w, "len("+expr+")", path, t.Traits, mt, func(reason string) string {
			return fmt.Sprintf("shape.InvalidHidden(%s, %q)", path, reason)
		})
	case k == "list" || k == "map":
		var elem *Shape
		if k == "list" {
			elem = g.m.Shape(t.Member.Target)
		} else {
			elem = g.m.Shape(t.Value.Target)
		}
		g.lengthChecks(w, "len("+expr+")", path, nil, mt, func(reason string) string {
			if k == "list" && g.kind(elem) == "string" && !hidden {
				return fmt.Sprintf("shape.InvalidStrings(%s, %s, %q)", path, expr, reason)
			}
			return fmt.Sprintf("shape.InvalidHidden(%s, %q)", path, reason)
		})
		if g.needs[t.ID] {
			g.helpers[t.ID] = true
			fmt.Fprintf(w, "if err := validate%s(%s); err != nil {\nreturn %s(err, %s)\n}\n", exportName(t.Name()), expr, prefix, path)
		}
	case k == "enum" || k == "intEnum":
		g.usedEnums[t.ID] = true
		fmt.Fprintf(w, "if err := %s.validate(); err != nil {\nreturn %s(err, %s)\n}\n", expr, prefix, path)
	case k == "structure" || k == "union":
		if g.needs[t.ID] {
			fmt.Fprintf(w, "if err := %s.Validate(); err != nil {\nreturn %s(err, %s)\n}\n", expr, prefix, path)
		}
	case intLimits[k] != [2]int64{} || isFloat(k):
		g.rangeChecks(w, expr, path, k, t.Traits, mt, hidden)
	}
}

// lengthChecks writes the smithy.api#length checks found on the target and
// on the member (identical traits once). n is the Go expression of the length
// and fail returns the error expression for a reason.
func (g *Generator) lengthChecks(w *bytes.Buffer, n, path string, tt, mt Traits, fail func(reason string) string) {
	seen := map[string]bool{}
	for _, tr := range []Traits{tt, mt} {
		b, ok := traitBounds(tr, traitLength)
		if !ok || seen[b.min+"/"+b.max] {
			continue
		}
		seen[b.min+"/"+b.max] = true
		var conds []string
		if b.min != "" && b.min != "0" {
			conds = append(conds, fmt.Sprintf("n < %s {\nreturn %s\n}", b.min, fail("Member must have length greater than or equal to "+b.min)))
		}
		if b.max != "" {
			conds = append(conds, fmt.Sprintf("n > %s {\nreturn %s\n}", b.max, fail("Member must have length less than or equal to "+b.max)))
		}
		if len(conds) == 0 {
			continue
		}
		if strings.HasPrefix(n, "utf8.") {
			g.imports["unicode/utf8"] = true
		}
		fmt.Fprintf(w, "if n := %s; %s\n", n, strings.Join(conds, " else if "))
	}
}

// patternChecks writes the smithy.api#pattern checks of the target and the
// member; patterns Go's RE2 cannot express are left as comments.
func (g *Generator) patternChecks(w *bytes.Buffer, expr, path string, tt, mt Traits, hidden bool) {
	seen := map[string]bool{}
	for _, tr := range []Traits{tt, mt} {
		p := tr.String(traitPattern)
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		reason := goStringLit("Member must satisfy regular expression pattern: " + p)
		if _, err := g.compilePattern(p); err != nil {
			fmt.Fprintf(w, "// Not checked: pattern %s (Go's regexp cannot express it: %s).\n", strconv.Quote(p), oneLine(err.Error()))
			continue
		}
		pv := g.patterns[p]
		pv.used = true
		g.imports["regexp"] = true
		if hidden {
			fmt.Fprintf(w, "if !%s.MatchString(%s) {\nreturn shape.InvalidHidden(%s, %s)\n}\n", pv.name, expr, path, reason)
		} else {
			fmt.Fprintf(w, "if !%s.MatchString(%s) {\nreturn shape.Invalid(%s, %s, %s)\n}\n", pv.name, expr, path, expr, reason)
		}
	}
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// rangeChecks writes the smithy.api#range checks of a number. Integer bounds
// are rounded inwards and dropped when the Go type cannot exceed them.
func (g *Generator) rangeChecks(w *bytes.Buffer, expr, path, kind string, tt, mt Traits, hidden bool) {
	seen := map[string]bool{}
	fail := func(reason string) string {
		switch {
		case hidden:
			return fmt.Sprintf("shape.InvalidHidden(%s, %q)", path, reason)
		case isFloat(kind):
			return fmt.Sprintf("shape.InvalidFloat(%s, %s, %q)", path, expr, reason)
		default:
			return fmt.Sprintf("shape.InvalidInt(%s, int64(%s), %q)", path, expr, reason)
		}
	}
	for _, tr := range []Traits{tt, mt} {
		b, ok := traitBounds(tr, traitRange)
		if !ok || seen[b.min+"/"+b.max] {
			continue
		}
		seen[b.min+"/"+b.max] = true
		var conds []string
		if lit, ok := g.rangeBound(b.min, kind, true); ok {
			conds = append(conds, fmt.Sprintf("if %s < %s {\nreturn %s\n}", expr, lit, fail("Member must have value greater than or equal to "+b.min)))
		}
		if lit, ok := g.rangeBound(b.max, kind, false); ok {
			conds = append(conds, fmt.Sprintf("if %s > %s {\nreturn %s\n}", expr, lit, fail("Member must have value less than or equal to "+b.max)))
		}
		for _, c := range conds {
			w.WriteString(c + "\n")
		}
	}
}

// rangeBound returns the Go literal of a range bound for kind, and false when
// there is no bound or the Go type cannot go past it.
func (g *Generator) rangeBound(v, kind string, isMin bool) (string, bool) {
	if v == "" {
		return "", false
	}
	if isFloat(kind) {
		return v, true
	}
	r, ok := new(big.Rat).SetString(v)
	if !ok {
		panic("smithygen: bad range bound " + v)
	}
	// round inwards: ceil for a minimum, floor for a maximum
	q := new(big.Int).Quo(r.Num(), r.Denom())
	if !r.IsInt() {
		if isMin && r.Sign() > 0 {
			q.Add(q, big.NewInt(1))
		}
		if !isMin && r.Sign() < 0 {
			q.Sub(q, big.NewInt(1))
		}
	}
	lim := intLimits[kind]
	if isMin && q.Cmp(big.NewInt(lim[0])) <= 0 || !isMin && q.Cmp(big.NewInt(lim[1])) >= 0 {
		return "", false
	}
	return q.String(), true
}

// genCollectionHelper writes validate<List> / validate<Map>: the list or map
// shape's own length and the checks of every element (list indexes and map
// keys become path elements).
func (g *Generator) genCollectionHelper(w *bytes.Buffer, s *Shape) {
	name := "validate" + exportName(s.Name())
	hidden := sensitive(s.Traits)
	fmt.Fprintf(w, "// %s checks a value of %s: its length and each element.\nfunc %s(v %s) error {\nif v == nil {\nreturn nil\n}\n", name, s.Name(), name, g.elemType(s))
	if s.Type == "list" {
		elem := g.m.Shape(s.Member.Target)
		g.lengthChecks(w, "len(v)", `""`, s.Traits, nil, func(reason string) string {
			if g.kind(elem) == "string" && !hidden {
				return fmt.Sprintf("shape.InvalidStrings(\"\", v, %q)", reason)
			}
			return fmt.Sprintf("shape.InvalidHidden(\"\", %q)", reason)
		})
		var body bytes.Buffer
		eh := hidden || sensitive(s.Member.Traits) || sensitive(elem.Traits)
		g.valueChecks(&body, "v[i]", "shape.Index(i)", elem, s.Member.Traits, eh)
		if body.Len() > 0 {
			fmt.Fprintf(w, "for i := range v {\n%s}\n", body.Bytes())
		}
		w.WriteString("return nil\n}\n\n")
		return
	}
	g.lengthChecks(w, "len(v)", `""`, s.Traits, nil, func(reason string) string {
		return fmt.Sprintf("shape.InvalidHidden(\"\", %q)", reason)
	})
	key, val := g.m.Shape(s.Key.Target), g.m.Shape(s.Value.Target)
	keyExpr := "k"
	if g.isEnum(key) {
		keyExpr = g.typeNames[key.ID] + "(k)"
	}
	var kb, vb bytes.Buffer
	g.valueChecks(&kb, keyExpr, "k", key, s.Key.Traits, hidden || sensitive(s.Key.Traits) || sensitive(key.Traits))
	g.valueChecks(&vb, "e", "k", val, s.Value.Traits, hidden || sensitive(s.Value.Traits) || sensitive(val.Traits))
	if kb.Len()+vb.Len() > 0 {
		// Sorted keys make the first violation deterministic.
		g.imports["sort"] = true
		w.WriteString("keys := make([]string, 0, len(v))\nfor k := range v {\nkeys = append(keys, k)\n}\nsort.Strings(keys)\nfor _, k := range keys {\n")
		w.Write(kb.Bytes())
		if vb.Len() > 0 {
			fmt.Fprintf(w, "e := v[k]\n%s", vb.Bytes())
		}
		w.WriteString("}\n")
	}
	w.WriteString("return nil\n}\n\n")
}
