package bolt

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/klauspost/compress/s2"

	"github.com/wharfhq/wharf/store"
)

// Formats are versioned per value so a future layout change can be read
// side by side with the old one instead of requiring an offline migration.
const (
	recordFormat = 1
	logFormat    = 1 // the layout of encodeEvents, stored as it is
	logFormatS2  = 2 // the same layout, S2-compressed after the format byte
	headerLen    = 1 + 8 + 8
)

var errCorrupt = errors.New("corrupt data")

// encodeRecord builds the stored form of a record: header then value.
func encodeRecord(createRev, modRev int64, value []byte) []byte {
	b := make([]byte, headerLen+len(value))
	b[0] = recordFormat
	binary.BigEndian.PutUint64(b[1:9], uint64(createRev))
	binary.BigEndian.PutUint64(b[9:17], uint64(modRev))
	copy(b[headerLen:], value)
	return b
}

// decodeHeader reads the revisions without touching the value.
func decodeHeader(key string, b []byte) (createRev, modRev int64, err error) {
	if len(b) < headerLen || b[0] != recordFormat {
		return 0, 0, fmt.Errorf("bolt: record %q: %w (len %d)", key, errCorrupt, len(b))
	}
	return int64(binary.BigEndian.Uint64(b[1:9])), int64(binary.BigEndian.Uint64(b[9:17])), nil
}

// decodeRecord returns a KV whose Value is a copy: bbolt's slices are only
// valid inside the transaction.
func decodeRecord(key string, b []byte) (store.KV, error) {
	c, m, err := decodeHeader(key, b)
	if err != nil {
		return store.KV{}, err
	}
	return store.KV{Key: key, Value: clone(b[headerLen:]), CreateRev: c, ModRev: m}, nil
}

func clone(b []byte) []byte {
	out := make([]byte, len(b))
	copy(out, b)
	return out
}

func revKey(rev int64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(rev))
	return b[:]
}

func parseRev(b []byte) (int64, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("bolt: revision value: %w (len %d)", errCorrupt, len(b))
	}
	return int64(binary.BigEndian.Uint64(b)), nil
}

// encodeEvents serialises one revision's events for the log:
//
//	format byte, uvarint count, then per event:
//	type byte, uvarint len(key), key, uvarint len(value), value, uvarint CreateRev
//
// ModRev is the entry's revision for every event, so it is not stored.
//
// The log is written S2-compressed (logFormatS2): it holds every value of
// the last History revisions, and those are JSON records that compress
// four to five times. Uncompressed, the log was a third of the file at
// 10,000 tasks, and a RunTask's entry spilled over several pages of its
// own; S2 costs about a microsecond per kilobyte.
func encodeEvents(events []store.Event) []byte {
	raw := encodeEventsRaw(events)
	b := make([]byte, 1+s2.MaxEncodedLen(len(raw)-1))
	b[0] = logFormatS2
	// Encode writes into b[1:], which is large enough.
	return b[:1+len(s2.Encode(b[1:], raw[1:]))]
}

// encodeEventsRaw is the format-1 log entry (logFormat).
func encodeEventsRaw(events []store.Event) []byte {
	n := 1 + binary.MaxVarintLen64
	for _, ev := range events {
		n += 1 + 3*binary.MaxVarintLen64 + len(ev.KV.Key) + len(ev.KV.Value)
	}
	b := make([]byte, 0, n)
	b = append(b, logFormat)
	b = binary.AppendUvarint(b, uint64(len(events)))
	for _, ev := range events {
		b = append(b, byte(ev.Type))
		b = binary.AppendUvarint(b, uint64(len(ev.KV.Key)))
		b = append(b, ev.KV.Key...)
		b = binary.AppendUvarint(b, uint64(len(ev.KV.Value)))
		b = append(b, ev.KV.Value...)
		b = binary.AppendUvarint(b, uint64(ev.KV.CreateRev))
	}
	return b
}

// decodeEvents appends the events of log entry rev whose key has prefix to
// dst. Values of filtered-out events are never copied.
func decodeEvents(dst []store.Event, rev int64, b []byte, prefix string) ([]store.Event, error) {
	bad := func(what string) error {
		return fmt.Errorf("bolt: log entry %d: %w (%s)", rev, errCorrupt, what)
	}
	switch {
	case len(b) < 1:
		return dst, bad("format")
	case b[0] == logFormat:
		b = b[1:]
	case b[0] == logFormatS2:
		raw, err := s2.Decode(nil, b[1:])
		if err != nil {
			return dst, bad("compressed: " + err.Error())
		}
		b = raw
	default:
		return dst, bad(fmt.Sprintf("format %d", b[0]))
	}
	count, n := binary.Uvarint(b)
	if n <= 0 {
		return dst, bad("count")
	}
	b = b[n:]
	field := func() ([]byte, bool) {
		l, n := binary.Uvarint(b)
		if n <= 0 || uint64(len(b)-n) < l {
			return nil, false
		}
		f := b[n : n+int(l)]
		b = b[n+int(l):]
		return f, true
	}
	for i := uint64(0); i < count; i++ {
		if len(b) < 1 {
			return dst, bad("truncated")
		}
		typ := store.EventType(b[0])
		b = b[1:]
		if typ != store.EventPut && typ != store.EventDelete {
			return dst, bad(fmt.Sprintf("event type %d", typ))
		}
		key, ok := field()
		if !ok {
			return dst, bad("key")
		}
		val, ok := field()
		if !ok {
			return dst, bad("value")
		}
		createRev, n := binary.Uvarint(b)
		if n <= 0 {
			return dst, bad("create revision")
		}
		b = b[n:]
		// The conversion in a comparison does not allocate.
		if len(key) < len(prefix) || string(key[:len(prefix)]) != prefix {
			continue
		}
		dst = append(dst, store.Event{
			Type: typ,
			Rev:  rev,
			KV: store.KV{
				Key:       string(key),
				Value:     clone(val),
				CreateRev: int64(createRev),
				ModRev:    rev,
			},
		})
	}
	return dst, nil
}
