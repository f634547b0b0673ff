package shape

// Operation describes one operation of a service, as generated into the
// service package's Operations map (keyed by Name).
type Operation struct {
	// Name is the operation name, the part of X-Amz-Target after the dot.
	Name string
	// Input and Output are the Go type names (= Smithy shape names) of the
	// request and response structures. Operations whose input or output is
	// smithy.api#Unit get an empty generated structure named <Name>Input or
	// <Name>Output.
	Input, Output string
	// Errors are the shape names of the errors the operation declares, in
	// model order, followed by the service-wide errors.
	Errors []string
	// Paginated reports the smithy.api#paginated trait.
	Paginated bool
	// NewInput and NewOutput return a new, empty *Input and *Output value,
	// ready for json.Unmarshal and Validate.
	NewInput, NewOutput func() Validator
}

// Unit is the Go type of a union member that targets smithy.api#Unit.
type Unit struct{}

// Validate implements Validator; a Unit has no constraints.
func (*Unit) Validate() error { return nil }

// String returns a pointer to v.
func String(v string) *string { return &v }

// Bool returns a pointer to v.
func Bool(v bool) *bool { return &v }

// Int32 returns a pointer to v.
func Int32(v int32) *int32 { return &v }

// Int64 returns a pointer to v.
func Int64(v int64) *int64 { return &v }

// Float64 returns a pointer to v.
func Float64(v float64) *float64 { return &v }

// ToString returns *p, or "" if p is nil.
func ToString(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// ToBool returns *p, or false if p is nil.
func ToBool(p *bool) bool {
	if p == nil {
		return false
	}
	return *p
}

// ToInt32 returns *p, or 0 if p is nil.
func ToInt32(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

// ToInt64 returns *p, or 0 if p is nil.
func ToInt64(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// ToFloat64 returns *p, or 0 if p is nil.
func ToFloat64(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// Deref returns *p, or T's zero value if p is nil (an absent optional
// member), for any T.
func Deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

// OrEmpty returns s, or an empty slice if s is nil, so that a list member
// encodes as [] rather than being left out, as AWS answers.
func OrEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
