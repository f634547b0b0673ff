package logs

import (
	"fmt"
	"math"

	"github.com/wharfhq/wharf/store"
)

// cursor walks one stream's events forward, in position order, from a
// boundary, decoding one chunk at a time.
type cursor struct {
	tx     store.ReadTx
	prefix string
	after  string // List cursor: the last chunk key read
	from   pos    // events before it are skipped
	buf    []event
	i      int
	done   bool
	// scanned counts the events the cursor has handed out.
	scanned int
}

func newCursor(tx store.ReadTx, prefix string, from pos) *cursor {
	return &cursor{tx: tx, prefix: prefix, after: seekAfter(prefix, from), from: from}
}

// peek returns the next event without consuming it; nil at the end.
func (c *cursor) peek() (*event, error) {
	for c.i >= len(c.buf) {
		if c.done {
			return nil, nil
		}
		kvs, err := c.tx.List(c.prefix, c.after, 1)
		if err != nil {
			return nil, err
		}
		if len(kvs) == 0 {
			c.done = true
			return nil, nil
		}
		c.after = kvs[0].Key
		evs, err := decodeChunkFrom(kvs[0].Value, c.from)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", kvs[0].Key, err)
		}
		c.buf, c.i = evs, 0
	}
	return &c.buf[c.i], nil
}

// next consumes the event peek returned.
func (c *cursor) next() {
	c.i++
	c.scanned++
}

// readForward returns up to limit events of the stream from boundary from
// with timestamps in [start, end), within the response size limit.
func readForward(tx store.ReadTx, prefix string, from pos, start, end int64, limit int) ([]event, error) {
	if from.less(pos{start, 0}) {
		from = pos{start, 0}
	}
	c := newCursor(tx, prefix, from)
	var out []event
	size := 0
	for len(out) < limit {
		e, err := c.peek()
		if err != nil || e == nil || e.ts >= end {
			return out, err
		}
		if len(out) > 0 && size+e.size() > maxResponseBytes {
			return out, nil
		}
		size += e.size()
		out = append(out, *e)
		c.next()
	}
	return out, nil
}

// maxResponseBytes bounds the events of one response, as CloudWatch's 1 MB.
const maxResponseBytes = 1 << 20

// readBackward returns the last (up to) limit events of the stream before
// boundary to, with timestamps in [start, end), in position order, within
// the response size limit. The store reads forward only, so it reads
// windows of time going back from to, each twice as long as the one before,
// starting from a guess that the stream's average rate makes hold about
// limit events.
func readBackward(tx store.ReadTx, prefix string, s streamRec, to pos, start, end int64, limit int) ([]event, error) {
	if !s.HasEvents {
		return nil, nil
	}
	if e := (pos{end, 0}); e.less(to) {
		to = e
	}
	low := max(start, s.FirstEvent)
	width := int64(1000)
	if span := s.LastEvent - s.FirstEvent; s.Events > 0 && span > 0 {
		width = max(1, 2*span*int64(limit)/s.Events)
	}
	var out []event // oldest first
	for len(out) < limit && to.ts >= low {
		winStart := low
		if top := min(to.ts, s.LastEvent); top-low > width {
			winStart = top - width
		}
		need := limit - len(out)
		var win []event
		c := newCursor(tx, prefix, pos{winStart, 0})
		for {
			e, err := c.peek()
			if err != nil {
				return nil, err
			}
			if e == nil || !e.pos().less(to) {
				break
			}
			win = append(win, *e)
			if len(win) >= 2*need {
				win = append(win[:0], win[len(win)-need:]...)
			}
			c.next()
		}
		if len(win) > need {
			win = win[len(win)-need:]
		}
		out = append(win, out...)
		if winStart <= low {
			break
		}
		to = pos{winStart, 0}
		width = min(width*2, math.MaxInt64/4)
	}
	// Keep the newest events that fit in a response.
	size, i := 0, len(out)
	for i > 0 && (i == len(out) || size+out[i-1].size() <= maxResponseBytes) {
		size += out[i-1].size()
		i--
	}
	return out[i:], nil
}
