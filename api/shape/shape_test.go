package shape

import (
	"encoding/json"
	"encoding/xml"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestTimestampMarshalJSON(t *testing.T) {
	for _, c := range []struct {
		t    time.Time
		want string
	}{
		{time.UnixMilli(1732230000123), "1732230000.123"},
		{time.UnixMilli(1732230000100), "1732230000.1"},
		{time.UnixMilli(1732230000000), "1732230000"},
		{time.Unix(1732230000, 999999999), "1732230000.999"},
		{time.UnixMilli(-1500), "-1.5"},
		{time.Time{}, "null"},
	} {
		b, err := json.Marshal(TimeOf(c.t))
		if err != nil || string(b) != c.want {
			t.Errorf("Marshal(%v) = %s, %v; want %s", c.t, b, err, c.want)
		}
	}
}

func TestTimestampUnmarshalJSON(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Time
	}{
		{"1732230000.123", time.UnixMilli(1732230000123)},
		{"1732230000", time.Unix(1732230000, 0)},
		{"1.732230000123E9", time.UnixMilli(1732230000123)},
		{"1732230000.123456789", time.Unix(1732230000, 123456789)},
		{"-1.5", time.UnixMilli(-1500)},
		{`"2024-11-21T23:00:00.123Z"`, time.UnixMilli(1732230000123)},
		{`"2024-11-21T23:00:00Z"`, time.Unix(1732230000, 0)},
		{`"2024-11-22T00:00:00+01:00"`, time.Unix(1732230000, 0)},
		{`"1732230000.5"`, time.UnixMilli(1732230000500)},
		{"null", time.Time{}},
	} {
		var ts Timestamp
		if err := json.Unmarshal([]byte(c.in), &ts); err != nil {
			t.Errorf("Unmarshal(%s): %v", c.in, err)
			continue
		}
		if !ts.Equal(c.want) {
			t.Errorf("Unmarshal(%s) = %v, want %v", c.in, ts.Time, c.want)
		}
	}
	for _, bad := range []string{`"yesterday"`, "true", `"1.2.3"`, "{}"} {
		var ts Timestamp
		if err := json.Unmarshal([]byte(bad), &ts); err == nil {
			t.Errorf("Unmarshal(%s) = %v, want an error", bad, ts)
		}
	}
}

func TestTimestampOmitzeroAndRoundTrip(t *testing.T) {
	type doc struct {
		At  Timestamp `json:"at,omitzero"`
		Opt Timestamp `json:"opt,omitzero"`
	}
	in := doc{At: TimeOf(time.UnixMilli(1732230000123))}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"at":1732230000.123}` {
		t.Fatalf("got %s", b)
	}
	var out doc
	if err := json.Unmarshal(b, &out); err != nil || !out.At.Equal(in.At.Time) || !out.Opt.IsZero() {
		t.Fatalf("round trip: %+v, %v", out, err)
	}
}

func TestTimestampText(t *testing.T) {
	ts := TimeOf(time.UnixMilli(1732230000123))
	b, err := ts.MarshalText()
	if err != nil || string(b) != "2024-11-21T23:00:00.123Z" {
		t.Fatalf("MarshalText = %s, %v", b, err)
	}
	if a, _ := ts.AppendText([]byte("at=")); string(a) != "at=2024-11-21T23:00:00.123Z" {
		t.Fatalf("AppendText = %s", a)
	}
	type resp struct {
		XMLName xml.Name  `xml:"R"`
		At      Timestamp `xml:"At"`
		Zero    Timestamp `xml:"Zero"`
	}
	x, err := xml.Marshal(resp{At: ts})
	if err != nil || string(x) != "<R><At>2024-11-21T23:00:00.123Z</At></R>" {
		t.Fatalf("xml = %s, %v", x, err)
	}
	var back resp
	if err := xml.Unmarshal(x, &back); err != nil || !back.At.Equal(ts.Time) {
		t.Fatalf("xml back = %v, %v", back.At, err)
	}
	if Now().Nanosecond()%int(time.Millisecond) != 0 {
		t.Fatal("Now is not truncated to milliseconds")
	}
}

func TestValidationErrorMessages(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{Required("family"), "Value null at 'family' failed to satisfy constraint: Member must not be null"},
		{Invalid("networkMode", "bogus", "Member must satisfy enum value set: [bridge, host]"), "Value 'bogus' at 'networkMode' failed to satisfy constraint: Member must satisfy enum value set: [bridge, host]"},
		{InvalidInt("count", -1, "Member must have value greater than or equal to 0"), "Value '-1' at 'count' failed to satisfy constraint: Member must have value greater than or equal to 0"},
		{InvalidFloat("ratio", 2, "r"), "Value '2.0' at 'ratio' failed to satisfy constraint: r"},
		{InvalidFloat("ratio", 0.25, "r"), "Value '0.25' at 'ratio' failed to satisfy constraint: r"},
		{InvalidStrings("names", []string{"a", "b"}, "r"), "Value '[a, b]' at 'names' failed to satisfy constraint: r"},
		{InvalidHidden("secret", "r"), "Value at 'secret' failed to satisfy constraint: r"},
		{Invalid("name", strings.Repeat("x", 100), "r"), "Value '" + strings.Repeat("x", 64) + "...' at 'name' failed to satisfy constraint: r"},
	} {
		if got, want := c.err.Error(), "1 validation error detected: "+c.want; got != want {
			t.Errorf("got  %s\nwant %s", got, want)
		}
	}
}

func TestPrefix(t *testing.T) {
	err := Prefix(Prefix(PrefixIndex(Required("name"), 0), "containerDefinitions"), "")
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Path != "containerDefinitions.1.name" {
		t.Fatalf("path = %q", ve.Path)
	}
	err = Prefix(Invalid("", "v", "r"), "tags")
	if err.(*ValidationError).Path != "tags" {
		t.Fatal(err)
	}
	err = PrefixHidden(Invalid("inner", "s3cret", "r"), "password")
	if got := err.Error(); strings.Contains(got, "s3cret") || !strings.Contains(got, "'password.inner'") {
		t.Fatal(got)
	}
	if PrefixHidden(Required("x"), "p").(*ValidationError).Hidden {
		t.Fatal("a null value stays null")
	}
	if Prefix(nil, "x") != nil {
		t.Fatal("nil error must stay nil")
	}
	other := errors.New("other")
	if Prefix(other, "x") != other {
		t.Fatal("foreign errors pass through")
	}
}

func TestPointerHelpers(t *testing.T) {
	if *String("a") != "a" || *Bool(true) != true || *Int32(3) != 3 || *Int64(4) != 4 || *Float64(1.5) != 1.5 {
		t.Fatal("pointer helpers")
	}
	if ToString(nil) != "" || ToBool(nil) || ToInt32(nil) != 0 || ToInt64(nil) != 0 || ToFloat64(nil) != 0 {
		t.Fatal("nil derefs")
	}
	if ToString(String("x")) != "x" || ToInt32(Int32(7)) != 7 {
		t.Fatal("derefs")
	}
}
