package awsapi

import (
	"encoding"
	"fmt"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// DecodeQuery fills the structure v points to from Query parameters. Member
// names come from the xml tags the generator writes for Query services:
//
//	Name                          scalar           Name=value
//	Subnets>member                list             Subnets.member.1=a
//	Tags>member (of structures)   list             Tags.member.1.Key=k
//	Values (flattened list)       list             Values.1=a
//	Attributes (map)              map              Attributes.entry.1.key=k, …value=v
//	Matcher (structure)           structure        Matcher.HttpCode=200
//
// List indexes start at 1 and are taken in numeric order; "Name=" with no
// members is an empty list. Unknown parameters are ignored, as AWS does; a
// value of the wrong type is a validation failure naming the parameter.
func DecodeQuery(params url.Values, v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("awsapi: DecodeQuery needs a pointer to a struct, got %T", v)
	}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	d := &queryDecoder{params: params, keys: keys}
	if err := d.structure(rv.Elem(), ""); err != nil {
		return &invalidInput{err}
	}
	return nil
}

// maxQueryMembers bounds the positions N of a list's (or map's) members,
// and so their count: "Names.member.99999999" or a thousand-and-one members
// is refused before anything is allocated for it. No list of the Query
// services wharf serves is documented to hold more (ELBv2's largest, the
// targets of one RegisterTargets call, hold far fewer).
const maxQueryMembers = 1000

// maxQueryDepth bounds nesting, so a hostile parameter name cannot recurse
// without end through self-referencing shapes.
const maxQueryDepth = 20

type queryDecoder struct {
	params url.Values
	keys   []string // sorted, for prefix scans
	depth  int
}

// hasPrefix reports whether any parameter name starts with p.
func (d *queryDecoder) hasPrefix(p string) bool {
	i := sort.SearchStrings(d.keys, p)
	return i < len(d.keys) && strings.HasPrefix(d.keys[i], p)
}

// indexes returns the distinct positive integers N of parameters named
// prefix+N or prefix+N.…, ascending.
func (d *queryDecoder) indexes(prefix string) ([]int, error) {
	var out []int
	seen := map[int]bool{}
	for i := sort.SearchStrings(d.keys, prefix); i < len(d.keys) && strings.HasPrefix(d.keys[i], prefix); i++ {
		rest := d.keys[i][len(prefix):]
		num, _, _ := strings.Cut(rest, ".")
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("parameter %q: list positions are numbers from 1", truncate(d.keys[i], 120))
		}
		if n > maxQueryMembers {
			return nil, fmt.Errorf("parameter %q: a list holds at most %d members, numbered from 1", truncate(d.keys[i], 120), maxQueryMembers)
		}
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	sort.Ints(out)
	return out, nil
}

// fieldName is the wire name of a struct field, the element name of its list
// members ("" when the list is flattened), and whether to skip it.
func fieldName(f reflect.StructField) (name, member string, skip bool) {
	tag := f.Tag.Get("xml")
	if tag == "-" || !f.IsExported() {
		return "", "", true
	}
	tag, _, _ = strings.Cut(tag, ",")
	if tag == "" {
		return f.Name, "", false
	}
	name, member, _ = strings.Cut(tag, ">")
	return name, member, false
}

func (d *queryDecoder) structure(v reflect.Value, prefix string) error {
	d.depth++
	defer func() { d.depth-- }()
	if d.depth > maxQueryDepth {
		return fmt.Errorf("parameter %q is nested too deeply", truncate(prefix, 120))
	}
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, member, skip := fieldName(f)
		if skip || f.Anonymous {
			continue
		}
		if err := d.value(v.Field(i), prefix+name, member); err != nil {
			return err
		}
	}
	return nil
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// value decodes the member at key into v; absent members leave v alone.
func (d *queryDecoder) value(v reflect.Value, key, member string) error {
	t := v.Type()
	switch {
	case reflect.PointerTo(t).Implements(textUnmarshaler) && t.Kind() == reflect.Struct:
		s, ok := d.scalar(key)
		if !ok {
			return nil
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			return fmt.Errorf("parameter %s: %q is not a valid timestamp", key, truncate(s, 64))
		}
		return nil
	case t.Kind() == reflect.Pointer:
		if t.Elem().Kind() == reflect.Struct && !reflect.PointerTo(t.Elem()).Implements(textUnmarshaler) {
			if !d.hasPrefix(key + ".") {
				return nil
			}
		} else if _, ok := d.params[key]; !ok {
			return nil
		}
		p := reflect.New(t.Elem())
		if err := d.value(p.Elem(), key, member); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case t.Kind() == reflect.Struct:
		return d.structure(v, key+".")
	case t.Kind() == reflect.Slice:
		return d.list(v, key, member)
	case t.Kind() == reflect.Map:
		return d.mapping(v, key)
	}
	s, ok := d.scalar(key)
	if !ok {
		return nil
	}
	return setScalar(v, key, s)
}

func (d *queryDecoder) scalar(key string) (string, bool) {
	vs, ok := d.params[key]
	if !ok || len(vs) == 0 {
		return "", false
	}
	return vs[0], true
}

func (d *queryDecoder) list(v reflect.Value, key, member string) error {
	prefix := key + "."
	if member != "" {
		prefix += member + "."
	}
	idx, err := d.indexes(prefix)
	if err != nil {
		return err
	}
	if len(idx) == 0 {
		if _, ok := d.params[key]; ok {
			v.Set(reflect.MakeSlice(v.Type(), 0, 0)) // "Name=": an empty list
		}
		return nil
	}
	out := reflect.MakeSlice(v.Type(), len(idx), len(idx))
	for i, n := range idx {
		if err := d.value(out.Index(i), prefix+strconv.Itoa(n), ""); err != nil {
			return err
		}
	}
	v.Set(out)
	return nil
}

func (d *queryDecoder) mapping(v reflect.Value, key string) error {
	if v.Type().Key().Kind() != reflect.String {
		return nil
	}
	prefix := key + ".entry."
	idx, err := d.indexes(prefix)
	if err != nil || len(idx) == 0 {
		return err
	}
	m := reflect.MakeMapWithSize(v.Type(), len(idx))
	for _, n := range idx {
		entry := prefix + strconv.Itoa(n) + "."
		k, ok := d.scalar(entry + "key")
		if !ok {
			return fmt.Errorf("parameter %skey is missing", entry)
		}
		val := reflect.New(v.Type().Elem()).Elem()
		if err := d.value(val, entry+"value", ""); err != nil {
			return err
		}
		m.SetMapIndex(reflect.ValueOf(k).Convert(v.Type().Key()), val)
	}
	v.Set(m)
	return nil
}

func setScalar(v reflect.Value, key, s string) error {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return fmt.Errorf("parameter %s: %q is not a boolean (true or false)", key, truncate(s, 64))
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("parameter %s: %q is not an integer in range", key, truncate(s, 64))
		}
		v.SetInt(n)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("parameter %s: %q is not a number", key, truncate(s, 64))
		}
		v.SetFloat(f)
	default:
		return fmt.Errorf("parameter %s: wharf cannot decode a %s member", key, v.Kind())
	}
	return nil
}
