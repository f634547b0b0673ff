package awsapi

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/aws/smithy-go/encoding/cbor"

	"github.com/wharfhq/wharf/api/shape"
)

func TestCBORToJSON(t *testing.T) {
	cases := []struct {
		name string
		in   cbor.Value
		want string
		bad  bool
	}{
		{"map of scalars", cbor.Map{"a": cbor.Uint(1), "b": cbor.NegInt(5), "c": cbor.String("x"), "d": cbor.Bool(true), "e": cbor.Float64(1.5)},
			`{"a":1,"b":-5,"c":"x","d":true,"e":1.5}`, false},
		{"timestamp tag", cbor.Map{"t": &cbor.Tag{ID: 1, Value: cbor.Float64(1700000000.25)}}, `{"t":1700000000.25}`, false},
		{"blob as base64", cbor.Map{"b": cbor.Slice("hi")}, `{"b":"aGk="}`, false},
		{"null members dropped", cbor.Map{"n": &cbor.Nil{}, "l": cbor.List{cbor.Uint(1)}}, `{"l":[1]}`, false},
		{"NaN refused", cbor.Map{"f": cbor.Float64(nan())}, "", true},
		{"other tags refused", cbor.Map{"t": &cbor.Tag{ID: 2, Value: cbor.Slice{1}}}, "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := CBORToJSON(cbor.Encode(c.in))
			if c.bad {
				if err == nil {
					t.Fatalf("accepted: %s", got)
				}
				return
			}
			if err != nil || string(got) != c.want {
				t.Fatalf("got %s, %v; want %s", got, err, c.want)
			}
		})
	}
}

func nan() float64 {
	var z float64
	return z / z
}

func TestCBORValueOf(t *testing.T) {
	type inner struct {
		N *int32 `json:"N,omitzero"`
	}
	type out struct {
		S   string            `json:"S,omitzero"`
		E   string            `json:"E,omitzero"`
		I   int64             `json:"I"`
		F   []float64         `json:"F,omitzero"`
		T   shape.Timestamp   `json:"T,omitzero"`
		Z   shape.Timestamp   `json:"Z,omitzero"`
		M   map[string]string `json:"M,omitzero"`
		In  *inner            `json:"In,omitzero"`
		Nil *inner            `json:"Nil,omitzero"`
	}
	n := int32(-3)
	v, err := CBORValueOf(&out{S: "s", I: -7, F: []float64{1}, T: shape.TimeOf(time.Unix(10, 500e6)), M: map[string]string{"k": "v"}, In: &inner{N: &n}})
	if err != nil {
		t.Fatal(err)
	}
	back, err := cbor.Decode(cbor.Encode(v))
	if err != nil {
		t.Fatal(err)
	}
	m := back.(cbor.Map)
	if len(m) != 6 || m["I"] != cbor.NegInt(7) || m["S"] != cbor.String("s") || m["In"].(cbor.Map)["N"] != cbor.NegInt(3) {
		t.Fatalf("encoded %#v", m)
	}
	if tag := m["T"].(*cbor.Tag); tag.ID != 1 || tag.Value != cbor.Float64(10.5) {
		t.Fatalf("timestamp %#v", tag)
	}
	js, _ := CBORToJSON(cbor.Encode(v))
	var round out
	if err := json.Unmarshal(js, &round); err != nil || round.I != -7 || !round.T.Equal(time.Unix(10, 500e6)) {
		t.Fatalf("round trip %s: %+v %v", js, round, err)
	}
}
