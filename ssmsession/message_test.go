package ssmsession

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// The plugin's own messages, recorded once (TestCaptureFixtures): parsing
// them and encoding the result again must give back the same bytes.
func TestParsePluginFixtures(t *testing.T) {
	cases := []struct {
		name  string
		file  string
		typ   string
		pt    PayloadType
		seq   int64
		flags uint64
		check func(t *testing.T, payload []byte)
	}{
		{name: "acknowledge of the handshake request", file: "plugin_acknowledge_0.bin", typ: TypeAcknowledge, seq: 0, flags: 3,
			check: func(t *testing.T, p []byte) {
				var a acknowledgeContent
				if err := json.Unmarshal(p, &a); err != nil {
					t.Fatal(err)
				}
				if a.MessageType != TypeOutput || a.SequenceNumber != 0 || !a.Sequential || len(a.MessageID) != 36 {
					t.Errorf("ack = %+v", a)
				}
			}},
		{name: "handshake response", file: "plugin_input_stream_data_6.bin", typ: TypeInput, pt: PayloadHandshakeResponse, seq: 0,
			check: func(t *testing.T, p []byte) {
				var r handshakeResponse
				if err := json.Unmarshal(p, &r); err != nil {
					t.Fatal(err)
				}
				if len(r.ProcessedClientActions) != 1 || r.ProcessedClientActions[0].ActionType != "SessionType" ||
					r.ProcessedClientActions[0].ActionStatus != 1 || len(r.Errors) != 0 {
					t.Errorf("handshake response = %s", p)
				}
			}},
		{name: "terminal size", file: "plugin_input_stream_data_3.bin", typ: TypeInput, pt: PayloadSize, seq: 1,
			check: func(t *testing.T, p []byte) {
				var s sizeData
				if err := json.Unmarshal(p, &s); err != nil || s.Cols == 0 || s.Rows == 0 {
					t.Errorf("size = %s (%v)", p, err)
				}
			}},
		{name: "keys typed", file: "plugin_input_stream_data_1.bin", typ: TypeInput, pt: PayloadOutput, seq: 2,
			check: func(t *testing.T, p []byte) {
				if string(p) != "exit\n" {
					t.Errorf("keys = %q", p)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			m, err := Parse(raw)
			if err != nil {
				t.Fatal(err)
			}
			if m.Type != tc.typ || m.PayloadType != tc.pt || m.SequenceNumber != tc.seq || m.Flags != tc.flags || m.SchemaVersion != 1 {
				t.Errorf("header = type %q payload %d seq %d flags %d schema %d", m.Type, m.PayloadType, m.SequenceNumber, m.Flags, m.SchemaVersion)
			}
			if age := time.Since(m.CreatedDate); age < 0 || age > 10*365*24*time.Hour {
				t.Errorf("created %v", m.CreatedDate)
			}
			if m.MessageID[6]>>4 != 4 {
				t.Errorf("message id %s is not a version 4 UUID: the halves are not swapped back", m.ID())
			}
			tc.check(t, m.Payload)
			again, err := m.Marshal()
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, raw) {
				t.Errorf("re-encoded message differs from the plugin's:\n got %x\nwant %x", again, raw)
			}
		})
	}
}

func TestMarshalLayout(t *testing.T) {
	id := [16]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}
	m := Message{Type: TypeOutput, SchemaVersion: 1, CreatedDate: time.UnixMilli(1700000000123), SequenceNumber: 7,
		Flags: 1, MessageID: id, PayloadType: PayloadOutput, Payload: []byte("hello")}
	b, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	be := binary.BigEndian
	sum := sha256.Sum256([]byte("hello"))
	checks := []struct {
		name string
		ok   bool
	}{
		{"header length 116", be.Uint32(b[0:]) == 116},
		{"type space padded", string(b[4:36]) == "output_stream_data              "},
		{"schema version", be.Uint32(b[36:]) == 1},
		{"created date in ms", be.Uint64(b[40:]) == 1700000000123},
		{"sequence number", be.Uint64(b[48:]) == 7},
		{"flags", be.Uint64(b[56:]) == 1},
		{"message id, low half first", bytes.Equal(b[64:72], id[8:]) && bytes.Equal(b[72:80], id[:8])},
		{"payload digest", bytes.Equal(b[80:112], sum[:])},
		{"payload type", be.Uint32(b[112:]) == 1},
		{"payload length", be.Uint32(b[116:]) == 5},
		{"payload", string(b[120:]) == "hello"},
		{"total length", len(b) == 125},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: wrong in %x", c.name, b)
		}
	}
	if m.ID() != "00010203-0405-0607-0809-0a0b0c0d0e0f" {
		t.Errorf("ID() = %s", m.ID())
	}
}

func TestParseRejects(t *testing.T) {
	good, err := Message{Type: TypeInput, SchemaVersion: 1, CreatedDate: time.Now(), Payload: []byte("x")}.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	cases := []struct {
		name string
		raw  []byte
		want error
	}{
		{name: "shorter than a header", raw: good[:100]},
		{name: "payload digest wrong", raw: mutate(func(b []byte) []byte { b[len(b)-1] = 'y'; return b }), want: ErrDigest},
		{name: "payload length beyond the message", raw: mutate(func(b []byte) []byte { binary.BigEndian.PutUint32(b[116:], 9); return b })},
		{name: "header length beyond the message", raw: mutate(func(b []byte) []byte { binary.BigEndian.PutUint32(b[0:], 900); return b })},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.raw)
			if err == nil {
				t.Fatal("parsed")
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("err = %v, want %v", err, tc.want)
			}
		})
	}
	if _, err := Parse(good); err != nil {
		t.Errorf("the unmutated message: %v", err)
	}
}
