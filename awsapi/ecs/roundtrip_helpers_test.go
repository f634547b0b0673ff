package ecs_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ecs/document"
)

// The round-trip tests fill aws-sdk-go-v2 input structs by hand and let
// reflection prove two things: that every member of the SDK's input types,
// at every depth, holds a non-zero value in at least one request (so a member
// a newer SDK adds fails the test until it is filled or allow-listed), and
// that every member sent comes back, deeply equal, in the describe output.

var documentType = reflect.TypeFor[document.Interface]()

// unfilled returns the member paths of the type of reqs (all of one struct
// type) that are zero in every request, at every depth, skipping the paths
// in allow (and everything under them). A slice member counts as filled
// where any element fills it; an interface (a union or a document) where it
// is set, then its concrete value is walked.
func unfilled[T any](reqs []T, allow map[string]string) []string {
	var vals []reflect.Value
	for _, r := range reqs {
		vals = append(vals, reflect.ValueOf(r))
	}
	missing := map[string]bool{}
	walkUnfilled(reflect.TypeFor[T]().Name(), reflect.TypeFor[T](), vals, allow, missing)
	out := make([]string, 0, len(missing))
	for p := range missing {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

func walkUnfilled(path string, t reflect.Type, vals []reflect.Value, allow map[string]string, missing map[string]bool) {
	if _, ok := allow[path]; ok {
		return
	}
	var set []reflect.Value
	for _, v := range vals {
		for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) && !v.IsNil() && v.Type() != documentType {
			if v.Kind() == reflect.Interface && v.Type().Implements(documentType) {
				break
			}
			v = v.Elem()
		}
		if v.IsValid() && !v.IsZero() {
			set = append(set, v)
		}
	}
	if len(set) == 0 {
		missing[path] = true
		return
	}
	switch t.Kind() {
	case reflect.Pointer:
		walkUnfilled(path, t.Elem(), set, allow, missing)
	case reflect.Interface:
		if t.Implements(documentType) {
			return
		}
		// A union: walk each member type that is set, by its own type.
		byType := map[reflect.Type][]reflect.Value{}
		for _, v := range set {
			byType[v.Type()] = append(byType[v.Type()], v)
		}
		for ct, vs := range byType {
			walkUnfilled(path+"("+ct.Name()+")", ct, vs, allow, missing)
		}
	case reflect.Slice:
		var elems []reflect.Value
		for _, v := range set {
			for i := range v.Len() {
				elems = append(elems, v.Index(i))
			}
		}
		walkUnfilled(path+"[]", t.Elem(), elems, allow, missing)
	case reflect.Map:
		var elems []reflect.Value
		for _, v := range set {
			for it := v.MapRange(); it.Next(); {
				elems = append(elems, it.Value())
			}
		}
		walkUnfilled(path+"{}", t.Elem(), elems, allow, missing)
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			var fvs []reflect.Value
			for _, v := range set {
				fvs = append(fvs, v.Field(i))
			}
			walkUnfilled(path+"."+f.Name, f.Type, fvs, allow, missing)
		}
	}
}

// echoed checks that each non-zero top-level member of in (a struct) is
// returned, deeply equal, by the member of the same name (or renamed[name])
// in the first of outs that has one; members in skip are not looked for.
func echoed(t *testing.T, in any, skip map[string]string, renamed map[string]string, outs ...any) {
	t.Helper()
	iv := reflect.Indirect(reflect.ValueOf(in))
	typ := iv.Type().Name()
	for i := range iv.NumField() {
		f := iv.Type().Field(i)
		if !f.IsExported() || iv.Field(i).IsZero() {
			continue
		}
		if _, ok := skip[typ+"."+f.Name]; ok {
			continue
		}
		name := f.Name
		if r, ok := renamed[name]; ok {
			name = r
		}
		var got reflect.Value
		for _, o := range outs {
			ov := reflect.Indirect(reflect.ValueOf(o))
			if fv := ov.FieldByName(name); fv.IsValid() {
				got = fv
				break
			}
		}
		if !got.IsValid() {
			t.Errorf("%s.%s: no output member %s returns it", typ, f.Name, name)
			continue
		}
		if diff := diffValues(iv.Field(i), got); diff != "" {
			t.Errorf("%s.%s is not returned as sent: %s", typ, f.Name, diff)
		}
	}
}

// diffValues compares a sent value with a returned one: pointers and plain
// values compare by what they hold (*int32 sent, int32 returned), documents
// by their JSON, and members not sent are not compared. It returns the first
// difference's path, or "".
func diffValues(want, got reflect.Value) string {
	return diffAt("", want, got)
}

func diffAt(path string, want, got reflect.Value) string {
	if want.IsValid() && want.Type().Implements(documentType) && !(want.Kind() == reflect.Interface && want.IsNil()) {
		return diffDocuments(path, want, got)
	}
	for want.IsValid() && (want.Kind() == reflect.Pointer || want.Kind() == reflect.Interface) && !want.IsNil() {
		want = want.Elem()
	}
	for got.IsValid() && (got.Kind() == reflect.Pointer || got.Kind() == reflect.Interface) && !got.IsNil() {
		got = got.Elem()
	}
	// What was not sent may come back as ECS's default (essential: true,
	// environment: []): only what was sent must come back.
	if isEmpty(want) {
		return ""
	}
	if isEmpty(got) {
		return fmt.Sprintf("%s: sent %s, got nothing", orRoot(path), show(want))
	}
	if want.Type() != got.Type() {
		return fmt.Sprintf("%s: sent a %s, got a %s", orRoot(path), want.Type(), got.Type())
	}
	switch want.Kind() {
	case reflect.Struct:
		for i := range want.NumField() {
			if !want.Type().Field(i).IsExported() {
				continue
			}
			if d := diffAt(path+"."+want.Type().Field(i).Name, want.Field(i), got.Field(i)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Slice:
		if want.Len() != got.Len() {
			return fmt.Sprintf("%s: sent %d elements, got %d", orRoot(path), want.Len(), got.Len())
		}
		for i := range want.Len() {
			if d := diffAt(fmt.Sprintf("%s[%d]", path, i), want.Index(i), got.Index(i)); d != "" {
				return d
			}
		}
		return ""
	case reflect.Map:
		if want.Len() != got.Len() {
			return fmt.Sprintf("%s: sent %d entries, got %d", orRoot(path), want.Len(), got.Len())
		}
		for it := want.MapRange(); it.Next(); {
			if d := diffAt(fmt.Sprintf("%s[%v]", path, it.Key()), it.Value(), got.MapIndex(it.Key())); d != "" {
				return d
			}
		}
		return ""
	}
	if !reflect.DeepEqual(want.Interface(), got.Interface()) {
		return fmt.Sprintf("%s: sent %s, got %s", orRoot(path), show(want), show(got))
	}
	return ""
}

func isEmpty(v reflect.Value) bool {
	if !v.IsValid() || v.IsZero() {
		return true
	}
	return (v.Kind() == reflect.Slice || v.Kind() == reflect.Map) && v.Len() == 0
}

func diffDocuments(path string, want, got reflect.Value) string {
	marshal := func(v reflect.Value) []byte {
		if !v.IsValid() || (v.Kind() == reflect.Interface || v.Kind() == reflect.Pointer) && v.IsNil() {
			return nil
		}
		b, err := v.Interface().(document.Interface).MarshalSmithyDocument()
		if err != nil {
			return []byte("error: " + err.Error())
		}
		return b
	}
	w, g := marshal(want), marshal(got)
	if !bytes.Equal(w, g) {
		return fmt.Sprintf("%s: sent document %s, got %s", orRoot(path), w, g)
	}
	return ""
}

func orRoot(path string) string {
	if path == "" {
		return "(value)"
	}
	return strings.TrimPrefix(path, ".")
}

func show(v reflect.Value) string {
	if !v.IsValid() {
		return "nothing"
	}
	if b, err := json.Marshal(v.Interface()); err == nil {
		return string(b)
	}
	return fmt.Sprintf("%#v", v.Interface())
}
