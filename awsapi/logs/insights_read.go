package logs

import (
	"container/heap"
	"context"
	"fmt"

	"github.com/wharfhq/wharf/api/logstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/logsinsights"
	"github.com/wharfhq/wharf/store"
)

// execQuery feeds the events of q's groups in its time range to the query,
// group by group, each group's streams merged in time order. Events are
// read a few chunks at a time, each read in a transaction of its own, so
// that a long query neither holds the store nor keeps more than a few
// chunks per stream in memory.
func (a *API) execQuery(ctx context.Context, q *query) (logsinsights.Result, logstypes.QueryStatistics, error) {
	var st logstypes.QueryStatistics
	x := q.q.Exec(q.limit)
	wantPtr := !q.q.HasStats()
	n := 0
	for _, name := range q.groups {
		var g groupRec
		var streams []streamRec
		err := a.DB.View(ctx, func(tx store.ReadTx) error {
			var err error
			if g, err = getGroup(tx, q.sc, name); err != nil {
				return err
			}
			streams, err = filterStreams(tx, g, nil, "", q.start, q.end)
			return err
		})
		if err != nil {
			if isNotFound(err) {
				continue // deleted since StartQuery: nothing left to scan
			}
			return logsinsights.Result{}, st, fmt.Errorf("read group %s: %w", name, err)
		}
		st.LogGroupsScanned++
		var h readerHeap
		for _, s := range streams {
			r := &chunkReader{db: a.DB, prefix: eventsPrefix(g.ID, s.ID), stream: s.Name, sid: s.ID,
				from: pos{q.start, 0}, end: q.end}
			if err := h.add(ctx, r); err != nil {
				return logsinsights.Result{}, st, err
			}
		}
		logName := q.sc.Account + ":" + g.Name
		for h.Len() > 0 {
			r := h[0]
			e := r.buf[r.i]
			st.RecordsScanned++
			st.BytesScanned += float64(e.size())
			ev := logsinsights.Event{Timestamp: e.ts, IngestionTime: e.ingest, Message: e.msg, LogStream: r.stream, Log: logName}
			if wantPtr {
				ev.Ptr = recordPtr(g.ID, r.sid, e.pos())
			}
			more := x.Add(&ev)
			if n++; n%1024 == 0 {
				if err := ctx.Err(); err != nil {
					return logsinsights.Result{}, st, err
				}
			}
			if !more {
				res := x.Finish()
				st.RecordsMatched = float64(res.Matched)
				return res, st, nil
			}
			r.i++
			if err := h.fix(ctx); err != nil {
				return logsinsights.Result{}, st, err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return logsinsights.Result{}, st, err
	}
	res := x.Finish()
	st.RecordsMatched = float64(res.Matched)
	return res, st, nil
}

func isNotFound(err error) bool { return awsapi.IsCode(err, codeResourceNotFound) }

// recordPtr is an event's @ptr: where GetLogRecord finds it.
func recordPtr(gid, sid uint64, p pos) string {
	return hex16(gid) + hex16(sid) + hex16(uint64(p.ts)) + hex16(p.seq)
}

// chunkReader reads one stream's events in [from, end) forward, a few
// chunks per read transaction. It resumes from the position after the
// last event it buffered, so chunks rewritten in between (an out-of-order
// batch merged) are read correctly.
type chunkReader struct {
	db     store.Backend
	prefix string
	stream string
	sid    uint64
	from   pos // the next event to read is at or after from
	end    int64
	buf    []event
	i      int
	done   bool
}

// readerChunks is how many chunks one read transaction takes.
const readerChunks = 4

// fill makes buf[i] the next event, or reports the end (false).
func (r *chunkReader) fill(ctx context.Context) (bool, error) {
	for r.i >= len(r.buf) {
		if r.done {
			return false, nil
		}
		r.buf, r.i = r.buf[:0], 0
		err := r.db.View(ctx, func(tx store.ReadTx) error {
			kvs, err := tx.List(r.prefix, seekAfter(r.prefix, r.from), readerChunks)
			if err != nil {
				return err
			}
			if len(kvs) < readerChunks {
				r.done = true
			}
			for _, kv := range kvs {
				evs, err := decodeChunkFrom(kv.Value, r.from)
				if err != nil {
					return fmt.Errorf("%s: %w", kv.Key, err)
				}
				r.buf = append(r.buf, evs...)
			}
			return nil
		})
		if err != nil {
			return false, err
		}
		if len(r.buf) > 0 {
			r.from = r.buf[len(r.buf)-1].pos().after()
		}
	}
	if r.buf[r.i].ts >= r.end {
		r.done, r.buf = true, nil
		return false, nil
	}
	return true, nil
}

// readerHeap orders stream readers by their next event: (timestamp,
// stream name, seq), as FilterLogEvents interleaves.
type readerHeap []*chunkReader

func (h readerHeap) Len() int { return len(h) }
func (h readerHeap) Less(i, j int) bool {
	a, b := &h[i].buf[h[i].i], &h[j].buf[h[j].i]
	if a.ts != b.ts {
		return a.ts < b.ts
	}
	if h[i].stream != h[j].stream {
		return h[i].stream < h[j].stream
	}
	return a.seq < b.seq
}
func (h readerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *readerHeap) Push(x any)   { *h = append(*h, x.(*chunkReader)) }
func (h *readerHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (h *readerHeap) add(ctx context.Context, r *chunkReader) error {
	ok, err := r.fill(ctx)
	if err != nil || !ok {
		return err
	}
	heap.Push(h, r)
	return nil
}

// fix re-places the top reader after it moved on, dropping it at its end.
func (h *readerHeap) fix(ctx context.Context) error {
	ok, err := (*h)[0].fill(ctx)
	if err != nil {
		return err
	}
	if !ok {
		heap.Pop(h)
		return nil
	}
	heap.Fix(h, 0)
	return nil
}
