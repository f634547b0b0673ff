package logs

import (
	"cmp"
	"container/heap"
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/wharfhq/wharf/api/logstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/store"
)

// maxScan bounds the events one FilterLogEvents call examines. Past it the
// call answers what it found so far (possibly nothing) with a nextToken, as
// CloudWatch does on large searches; clients page on.
const maxScan = 250000

// FilterLogEvents searches a group's streams (all, logStreamNames, or
// logStreamNamePrefix) in [startTime, endTime] for events matching a
// filter pattern, interleaved in timestamp order.
func (a *API) FilterLogEvents(ctx context.Context, in *logstypes.FilterLogEventsRequest) (*logstypes.FilterLogEventsResponse, error) {
	sc := scopeOf(ctx)
	name, err := sc.groupName(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	if len(in.LogStreamNames) > 0 && in.LogStreamNamePrefix != nil {
		return nil, invalidParam("You cannot specify both logStreamNames and logStreamNamePrefix.")
	}
	pat, err := ParsePattern(awsapi.Deref(in.FilterPattern))
	if err != nil {
		return nil, invalidParam("Invalid filter pattern: %v", err)
	}
	start, end := timeRange(in.StartTime, in.EndTime)
	if end < math.MaxInt64 {
		end++ // FilterLogEvents' endTime is inclusive, GetLogEvents' is not
	}
	limit := awsapi.PageLimit(in.Limit, 10000)
	list := "FilterLogEvents/" + name
	cur, err := pageCursor(list, in.NextToken)
	if err != nil {
		return nil, err
	}
	resume, err := parseFilterCursor(cur.After)
	if err != nil {
		return nil, err
	}
	out := &logstypes.FilterLogEventsResponse{Events: []logstypes.FilteredLogEvent{}}
	err = a.DB.View(ctx, func(tx store.ReadTx) error {
		g, err := getGroup(tx, sc, name)
		if err != nil {
			return err
		}
		streams, err := filterStreams(tx, g, in.LogStreamNames, awsapi.Deref(in.LogStreamNamePrefix), start, end)
		if err != nil {
			return err
		}
		var h mergeHeap
		for _, s := range streams {
			from := pos{start, 0}
			if resume != nil {
				from = resume.from(s.Name, start)
			}
			c := &streamCursor{cursor: newCursor(tx, eventsPrefix(g.ID, s.ID), from), name: s.Name, id: s.ID}
			if err := h.push(c); err != nil {
				return err
			}
		}
		size, scanned := 0, 0
		for h.Len() > 0 {
			c := h.items[0]
			if c.head.ts >= end { // this stream has nothing more in range
				heap.Pop(&h)
				continue
			}
			e := *c.head
			c.next()
			if err := h.advance(); err != nil {
				return err
			}
			scanned++
			if pat.Match(e.msg) {
				out.Events = append(out.Events, logstypes.FilteredLogEvent{LogStreamName: new(c.name), Timestamp: new(e.ts),
					Message: new(e.msg), IngestionTime: new(e.ingest), EventId: new(eventID(c.id, &e))})
				size += e.size()
			}
			if len(out.Events) >= limit || size >= maxResponseBytes || scanned >= maxScan {
				if h.Len() > 0 {
					out.NextToken = cur.Next(filterCursor{ts: e.ts, stream: c.name, seq: e.seq}.String())
				}
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return nil, wrap("FilterLogEvents", err)
	}
	return out, nil
}

// filterStreams are the streams a search covers that may hold events in
// [start, end).
func filterStreams(tx store.ReadTx, g groupRec, names []string, prefix string, start, end int64) ([]streamRec, error) {
	var all []streamRec
	if len(names) > 0 {
		for _, n := range names {
			s, ok, err := store.Get[streamRec](tx, streamKey(g.ID, n))
			if err != nil {
				return nil, err
			}
			if ok {
				all = append(all, s)
			}
		}
	} else {
		var err error
		if all, err = store.List[streamRec](tx, streamsPrefix(g.ID)+prefix); err != nil {
			return nil, err
		}
	}
	out := all[:0]
	for _, s := range all {
		if s.HasEvents && s.Events > 0 && s.LastEvent >= start && s.FirstEvent < end {
			out = append(out, s)
		}
	}
	return out, nil
}

// eventID is an event's id, stable across calls (the CLI's `logs tail
// --follow` relies on it to drop events it has shown): 56 digits, as
// CloudWatch's.
func eventID(streamID uint64, e *event) string {
	return fmt.Sprintf("%020d%016d%020d", e.ts, streamID%1e16, e.seq)
}

// filterCursor is the last event a FilterLogEvents page examined, in the
// merged order (timestamp, stream name, seq).
type filterCursor struct {
	ts     int64
	stream string
	seq    uint64
}

func (c filterCursor) String() string { return fmt.Sprintf("%d/%d/%s", c.ts, c.seq, c.stream) }

func parseFilterCursor(s string) (*filterCursor, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.SplitN(s, "/", 3)
	if len(parts) == 3 {
		ts, err1 := strconv.ParseInt(parts[0], 10, 64)
		seq, err2 := strconv.ParseUint(parts[1], 10, 64)
		if err1 == nil && err2 == nil {
			return &filterCursor{ts: ts, stream: parts[2], seq: seq}, nil
		}
	}
	return nil, invalidParam("The specified nextToken is invalid: pass the nextToken of the previous response unchanged.")
}

// from is where stream continues after c in the merged order.
func (c filterCursor) from(stream string, start int64) pos {
	var p pos
	switch cmp.Compare(stream, c.stream) {
	case -1:
		p = pos{c.ts + 1, 0}
	case 0:
		p = pos{c.ts, c.seq + 1}
	default:
		p = pos{c.ts, 0}
	}
	if p.less(pos{start, 0}) {
		return pos{start, 0}
	}
	return p
}

// streamCursor is one stream's cursor in the merge, with its current head.
type streamCursor struct {
	*cursor
	name string
	id   uint64
	head *event
}

// mergeHeap orders stream cursors by their heads: (timestamp, stream
// name, seq).
type mergeHeap struct{ items []*streamCursor }

func (h *mergeHeap) Len() int { return len(h.items) }
func (h *mergeHeap) Less(i, j int) bool {
	a, b := h.items[i], h.items[j]
	if a.head.ts != b.head.ts {
		return a.head.ts < b.head.ts
	}
	if a.name != b.name {
		return a.name < b.name
	}
	return a.head.seq < b.head.seq
}
func (h *mergeHeap) Swap(i, j int) { h.items[i], h.items[j] = h.items[j], h.items[i] }
func (h *mergeHeap) Push(x any)    { h.items = append(h.items, x.(*streamCursor)) }
func (h *mergeHeap) Pop() any {
	x := h.items[len(h.items)-1]
	h.items = h.items[:len(h.items)-1]
	return x
}

// push adds a cursor unless its stream has nothing left.
func (h *mergeHeap) push(c *streamCursor) error {
	e, err := c.peek()
	if err != nil || e == nil {
		return err
	}
	c.head = e
	heap.Push(h, c)
	return nil
}

// advance re-reads the top cursor's head after it moved on, dropping it at
// its end.
func (h *mergeHeap) advance() error {
	c := h.items[0]
	e, err := c.peek()
	if err != nil {
		return err
	}
	if e == nil {
		heap.Pop(h)
		return nil
	}
	c.head = e
	heap.Fix(h, 0)
	return nil
}
