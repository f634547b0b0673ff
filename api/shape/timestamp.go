// Package shape is the small runtime shared by the packages that smithygen
// generates from AWS Smithy models (api/ecstypes and later services): the
// Timestamp type, the ValidationError returned by the generated Validate
// methods and the helpers those methods call, the Operation descriptor, and
// pointer helpers for building request and response values.
//
// It imports only the standard library.
package shape

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Timestamp is a Smithy timestamp. It wraps time.Time; the zero Timestamp
// (IsZero) means absent and is left out of JSON by the generated `omitzero`
// tags.
//
// In JSON (the awsJson1_0/1_1 and restJson1 body format) a Timestamp is a
// number of seconds since the Unix epoch with millisecond precision, e.g.
// 1732230000.123. Unmarshalling also accepts a string holding such a number
// or an ISO 8601 / RFC 3339 date-time. As text and XML (the awsQuery format)
// it is an RFC 3339 date-time in UTC with milliseconds.
type Timestamp struct {
	time.Time
}

// TimeOf returns t as a Timestamp.
func TimeOf(t time.Time) Timestamp { return Timestamp{Time: t} }

// Now returns the current time as a Timestamp, truncated to the millisecond
// precision that the wire format keeps.
func Now() Timestamp { return Timestamp{Time: time.Now().Truncate(time.Millisecond)} }

// isoLayout is the text form of a Timestamp: RFC 3339 in UTC with milliseconds.
const isoLayout = "2006-01-02T15:04:05.000Z"

// EpochSeconds formats t as seconds since the epoch with at most three
// fractional digits and no trailing zeros: "1732230000.123", "1732230000.5",
// "1732230000".
func (t Timestamp) EpochSeconds() string {
	ms := t.UnixMilli()
	sign := ""
	if ms < 0 {
		sign = "-"
		ms = -ms
	}
	s := sign + strconv.FormatInt(ms/1000, 10)
	if frac := ms % 1000; frac != 0 {
		f := strconv.FormatInt(frac+1000, 10)[1:] // zero-padded to 3 digits
		s += "." + strings.TrimRight(f, "0")
	}
	return s
}

// MarshalJSON encodes t as epoch seconds (a JSON number); the zero Timestamp
// encodes as null.
func (t Timestamp) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(t.EpochSeconds()), nil
}

// UnmarshalJSON accepts null, a JSON number of epoch seconds (plain or with an
// exponent), or a string holding epoch seconds or an ISO 8601 date-time.
func (t *Timestamp) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || string(b) == "null" {
		*t = Timestamp{}
		return nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		return t.UnmarshalText([]byte(s))
	}
	v, err := parseEpoch(string(b))
	if err != nil {
		return err
	}
	*t = v
	return nil
}

// MarshalText encodes t as an RFC 3339 date-time in UTC with milliseconds.
func (t Timestamp) MarshalText() ([]byte, error) {
	if t.IsZero() {
		return nil, nil
	}
	return []byte(t.UTC().Format(isoLayout)), nil
}

// AppendText appends the MarshalText form of t to b (it shadows
// time.Time.AppendText so that every text encoder sees the same form).
func (t Timestamp) AppendText(b []byte) ([]byte, error) {
	if t.IsZero() {
		return b, nil
	}
	return t.UTC().AppendFormat(b, isoLayout), nil
}

// UnmarshalText accepts an ISO 8601 / RFC 3339 date-time, an HTTP date, or
// epoch seconds; empty text is the zero Timestamp.
func (t *Timestamp) UnmarshalText(b []byte) error {
	s := strings.TrimSpace(string(b))
	if s == "" {
		*t = Timestamp{}
		return nil
	}
	if v, err := parseEpoch(s); err == nil {
		*t = v
		return nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04:05.999999999Z0700", time.RFC1123, time.RFC1123Z, "2006-01-02"} {
		if v, err := time.Parse(layout, s); err == nil {
			*t = Timestamp{Time: v}
			return nil
		}
	}
	return fmt.Errorf("shape: cannot parse %q as a timestamp", s)
}

// MarshalXML writes t as an RFC 3339 element; a zero Timestamp writes nothing.
func (t Timestamp) MarshalXML(e *xml.Encoder, start xml.StartElement) error {
	if t.IsZero() {
		return nil
	}
	return e.EncodeElement(t.UTC().Format(isoLayout), start)
}

var errBadEpoch = errors.New("shape: timestamp is not a number of epoch seconds")

// parseEpoch parses epoch seconds. Plain decimals are parsed exactly (to the
// nanosecond); exponent forms such as 1.732230000123E9 go through float64 and
// are rounded to the microsecond.
func parseEpoch(s string) (Timestamp, error) {
	if strings.ContainsAny(s, "eE") {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return Timestamp{}, errBadEpoch
		}
		sec, frac := math.Modf(f)
		us := math.Round(frac * 1e6)
		return Timestamp{Time: time.Unix(int64(sec), int64(us)*1000)}, nil
	}
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	intPart, fracPart, _ := strings.Cut(s, ".")
	if intPart == "" && fracPart == "" {
		return Timestamp{}, errBadEpoch
	}
	var sec int64
	if intPart != "" {
		v, err := strconv.ParseUint(intPart, 10, 63)
		if err != nil {
			return Timestamp{}, errBadEpoch
		}
		sec = int64(v)
	}
	var nsec int64
	for i := 0; i < len(fracPart); i++ {
		c := fracPart[i]
		if c < '0' || c > '9' {
			return Timestamp{}, errBadEpoch
		}
		if i < 9 {
			nsec = nsec*10 + int64(c-'0')
		}
	}
	for i := len(fracPart); i < 9; i++ {
		nsec *= 10
	}
	if neg {
		sec, nsec = -sec, -nsec
	}
	return Timestamp{Time: time.Unix(sec, nsec)}, nil
}
