package logs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// pos is an event's place in its stream: events are ordered by timestamp,
// then by seq, the order in which the stream ingested them. Positions are
// unique within a stream. A pos also names a boundary between events: "from
// p" means every event whose position is >= p.
type pos struct {
	ts  int64
	seq uint64
}

func (p pos) less(q pos) bool { return p.ts < q.ts || p.ts == q.ts && p.seq < q.seq }

// after is the boundary just after the event at p.
func (p pos) after() pos { return pos{p.ts, p.seq + 1} }

// prev is the position just before p (the zero pos has none: ok is false).
func (p pos) prev() (q pos, ok bool) {
	switch {
	case p.seq > 0:
		return pos{p.ts, p.seq - 1}, true
	case p.ts > 0:
		return pos{p.ts - 1, math.MaxUint64}, true
	}
	return pos{}, false
}

// posEnd is a boundary after every event.
var posEnd = pos{math.MaxInt64, math.MaxUint64}

// event is one stored log event.
type event struct {
	ts     int64 // milliseconds since the epoch
	seq    uint64
	ingest int64 // ingestion time, milliseconds
	msg    string
}

func (e *event) pos() pos { return pos{e.ts, e.seq} }

// eventOverhead is what CloudWatch counts per event on top of its message
// when it sizes batches and responses.
const eventOverhead = 26

func (e *event) size() int { return len(e.msg) + eventOverhead }

// Chunks hold at most this much; a PutLogEvents batch (10,000 events, 1 MiB)
// fits in one.
const (
	maxChunkEvents = 10000
	maxChunkBytes  = 1 << 20
)

const chunkVersion = 1

// encodeChunk lays out events (sorted by position):
//
//	version byte, uvarint count, uvarint message bytes,
//	then per event: varint Δts, varint Δseq, varint Δingest, uvarint len, message
//
// with deltas from the previous event (the first from zero), so a chunk of
// a chatty stream costs little more than its messages.
func encodeChunk(evs []event) []byte {
	n := 0
	for i := range evs {
		n += len(evs[i].msg)
	}
	b := make([]byte, 0, n+len(evs)*8+16)
	b = append(b, chunkVersion)
	b = binary.AppendUvarint(b, uint64(len(evs)))
	b = binary.AppendUvarint(b, uint64(n))
	var prev event
	for i := range evs {
		e := &evs[i]
		b = binary.AppendVarint(b, e.ts-prev.ts)
		b = binary.AppendVarint(b, int64(e.seq-prev.seq))
		b = binary.AppendVarint(b, e.ingest-prev.ingest)
		b = binary.AppendUvarint(b, uint64(len(e.msg)))
		b = append(b, e.msg...)
		prev = *e
	}
	return b
}

var errBadChunk = errors.New("malformed event chunk")

// decodeChunk reads a chunk. The messages share one copy of the chunk's
// bytes, so the result stays valid after the transaction that read it.
func decodeChunk(b []byte) ([]event, error) { return decodeChunkFrom(b, pos{}) }

// decodeChunkFrom reads the events of a chunk at or after from, copying
// only their part of the chunk: a reader that wants the last events of a
// large chunk pays for little more than walking the headers before them.
func decodeChunkFrom(b []byte, from pos) ([]event, error) {
	if len(b) == 0 || b[0] != chunkVersion {
		return nil, errBadChunk
	}
	i := 1
	uv := func() (uint64, bool) {
		v, n := binary.Uvarint(b[i:])
		if n <= 0 {
			return 0, false
		}
		i += n
		return v, true
	}
	sv := func() (int64, bool) {
		v, n := binary.Varint(b[i:])
		if n <= 0 {
			return 0, false
		}
		i += n
		return v, true
	}
	count, ok := uv()
	if !ok || count > maxChunkEvents*4 {
		return nil, errBadChunk
	}
	if _, ok := uv(); !ok {
		return nil, errBadChunk
	}
	// One pass reads the headers; messages are taken from one string made
	// of the bytes from the first wanted message on.
	type span struct{ at, n int }
	hint := int(count)
	if from != (pos{}) {
		hint = 0 // often a few events of the end
	}
	evs := make([]event, 0, hint)
	spans := make([]span, 0, hint)
	var prev event
	first := -1
	for range count {
		dts, ok1 := sv()
		dseq, ok2 := sv()
		ding, ok3 := sv()
		l, ok4 := uv()
		if !ok1 || !ok2 || !ok3 || !ok4 || l > uint64(len(b)-i) {
			return nil, errBadChunk
		}
		e := event{ts: prev.ts + dts, seq: prev.seq + uint64(dseq), ingest: prev.ingest + ding}
		prev = e
		if !e.pos().less(from) {
			if first < 0 {
				first = i
			}
			evs = append(evs, e)
			spans = append(spans, span{i, int(l)})
		}
		i += int(l)
	}
	if len(evs) == 0 {
		return evs, nil
	}
	s := string(b[first:]) // one copy: the store's memory is only valid in its transaction
	for k := range evs {
		evs[k].msg = s[spans[k].at-first : spans[k].at-first+spans[k].n]
	}
	return evs, nil
}

// chunkStats are a chunk's event count and message bytes, read from its
// header without decoding the events.
func chunkStats(b []byte) (events, bytes int64, err error) {
	if len(b) == 0 || b[0] != chunkVersion {
		return 0, 0, errBadChunk
	}
	c, n := binary.Uvarint(b[1:])
	if n <= 0 {
		return 0, 0, errBadChunk
	}
	m, n2 := binary.Uvarint(b[1+n:])
	if n2 <= 0 {
		return 0, 0, errBadChunk
	}
	return int64(c), int64(m), nil
}

// splitChunks cuts sorted events into chunks within the size limits.
func splitChunks(evs []event) [][]event {
	var out [][]event
	start, bytes := 0, 0
	for i := range evs {
		if i > start && (i-start >= maxChunkEvents || bytes+len(evs[i].msg) > maxChunkBytes) {
			out = append(out, evs[start:i])
			start, bytes = i, 0
		}
		bytes += len(evs[i].msg)
	}
	if start < len(evs) {
		out = append(out, evs[start:])
	}
	return out
}

// Keys. Ids and positions are fixed-width hex so that keys sort as the
// numbers do.

func hex16(v uint64) string {
	const digits = "0123456789abcdef"
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = digits[v&0xf]
		v >>= 4
	}
	return string(b[:])
}

func parseHex16(s string) (uint64, error) {
	if len(s) != 16 {
		return 0, fmt.Errorf("bad id %q", s)
	}
	return strconv.ParseUint(s, 16, 64)
}

func groupKey(account, region, name string) string {
	return "g/" + account + "/" + region + "/" + name
}

func groupsPrefix(account, region string) string { return "g/" + account + "/" + region + "/" }

func streamsPrefix(gid uint64) string { return "s/" + hex16(gid) + "/" }

func streamKey(gid uint64, name string) string { return streamsPrefix(gid) + name }

func groupEventsPrefix(gid uint64) string { return "e/" + hex16(gid) + "/" }

func eventsPrefix(gid, sid uint64) string { return groupEventsPrefix(gid) + hex16(sid) + "/" }

func chunkKey(prefix string, last pos) string {
	return prefix + hex16(uint64(last.ts)) + hex16(last.seq)
}

// seekAfter is the List cursor that starts at the first chunk that may hold
// an event at or after p: chunks are keyed by their last position, so that
// is the first key >= chunkKey(p).
func seekAfter(prefix string, p pos) string {
	if p.ts < 0 {
		return ""
	}
	q, ok := p.prev()
	if !ok {
		return ""
	}
	return chunkKey(prefix, q)
}

const (
	tombstonesPrefix = "x/"
	idCounterKey     = "m/next-id"
)
