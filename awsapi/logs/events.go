package logs

import (
	"context"
	"fmt"
	"slices"

	"github.com/wharfhq/wharf/api/logstypes"
	"github.com/wharfhq/wharf/store"
)

// CloudWatch's PutLogEvents limits.
const (
	maxBatchBytes  = 1 << 20   // messages in UTF-8 plus 26 bytes per event
	maxEventBytes  = 256 << 10 // one event, with its 26 bytes
	maxBatchSpanMs = 24 * 3600 * 1000
	maxAgeMs       = 14 * 24 * 3600 * 1000
	maxFutureMs    = 2 * 3600 * 1000
	dayMs          = 24 * 3600 * 1000
)

// PutLogEvents appends a batch to a stream. Events too far in the past or
// future, or older than the group's retention, are left out and reported
// in rejectedLogEventsInfo, as CloudWatch does; the sequence token is
// ignored.
func (a *API) PutLogEvents(ctx context.Context, in *logstypes.PutLogEventsRequest) (*logstypes.PutLogEventsResponse, error) {
	sc := scopeOf(ctx)
	if err := checkBatch(in.LogEvents); err != nil {
		return nil, err
	}
	now := a.nowMillis()
	out := &logstypes.PutLogEventsResponse{}
	var stored []event
	var filters []*compiledFilter
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		g, s, err := getStream(tx, sc, *in.LogGroupName, *in.LogStreamName)
		if err != nil {
			return err
		}
		if filters, err = a.filters.forGroup(tx, sc, g.Name); err != nil {
			return err
		}
		first, last, rejected := admit(in.LogEvents, now, g.RetentionInDays)
		out.RejectedLogEventsInfo = rejected
		evs := make([]event, 0, last-first)
		for _, e := range in.LogEvents[first:last] {
			evs = append(evs, event{ts: *e.Timestamp, seq: s.NextSeq, ingest: now, msg: *e.Message})
			s.NextSeq++
		}
		stored = evs
		added, err := insertEvents(tx, eventsPrefix(g.ID, s.ID), &s, evs)
		if err != nil {
			return err
		}
		if len(evs) > 0 {
			s.LastIngestion = now
		}
		out.NextSequenceToken = new(sequenceToken(s.NextSeq))
		if err := store.Put(tx, streamKey(g.ID, s.Name), s); err != nil {
			return err
		}
		if added == 0 {
			return nil
		}
		g.StoredBytes += added
		return store.Put(tx, groupKey(sc.Account, sc.Region, g.Name), g)
	})
	if err != nil {
		return nil, wrap("PutLogEvents", err)
	}
	a.emitMetrics(ctx, *in.LogGroupName, filters, stored)
	return out, nil
}

// checkBatch applies the limits that fail a whole batch.
func checkBatch(evs []logstypes.InputLogEvent) error {
	total := 0
	for i, e := range evs {
		size := len(*e.Message) + eventOverhead
		if size > maxEventBytes {
			return invalidParam("Log event too large: %d bytes exceeds limit of %d (logEvents.%d).", size, maxEventBytes, i+1)
		}
		total += size
		if i > 0 && *e.Timestamp < *evs[i-1].Timestamp {
			return invalidParam("Log events in a single PutLogEvents request must be in chronological order.")
		}
	}
	if total > maxBatchBytes {
		return invalidParam("Upload too large: %d bytes exceeds limit of %d", total, maxBatchBytes)
	}
	if n := len(evs); n > 1 && *evs[n-1].Timestamp-*evs[0].Timestamp > maxBatchSpanMs {
		return invalidParam("The batch of log events in a single PutLogEvents request cannot span more than 24 hours.")
	}
	return nil
}

// admit returns the range [first, last) of a chronological batch that is
// accepted at now, and what was rejected: a prefix too old (older than 14
// days) or expired (older than the retention), a suffix too new (more than
// two hours ahead).
func admit(evs []logstypes.InputLogEvent, now int64, retentionDays int32) (first, last int, rejected *logstypes.RejectedLogEventsInfo) {
	first, last = 0, len(evs)
	for first < last && *evs[first].Timestamp < now-maxAgeMs {
		first++
	}
	tooOld := first
	if retentionDays > 0 {
		for first < last && *evs[first].Timestamp < now-int64(retentionDays)*dayMs {
			first++
		}
	}
	for last > first && *evs[last-1].Timestamp > now+maxFutureMs {
		last--
	}
	if first == 0 && last == len(evs) {
		return first, last, nil
	}
	rejected = &logstypes.RejectedLogEventsInfo{}
	if tooOld > 0 {
		rejected.TooOldLogEventEndIndex = new(int32(tooOld - 1))
	}
	if first > tooOld {
		rejected.ExpiredLogEventEndIndex = new(int32(first - 1))
	}
	if last < len(evs) {
		rejected.TooNewLogEventStartIndex = new(int32(last))
	}
	return first, last, rejected
}

// insertEvents stores evs (sorted, with fresh seqs, so each position is new)
// in the stream whose chunks live under prefix, updates the stream's
// figures and returns the bytes added. A batch after every stored event is
// one new chunk; one that reaches back is merged with the chunks it
// overlaps so that chunks never overlap.
func insertEvents(tx store.Tx, prefix string, s *streamRec, evs []event) (int64, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	var bytes int64
	for i := range evs {
		bytes += int64(len(evs[i].msg))
	}
	merged := evs
	if s.HasEvents && evs[0].ts < s.LastEvent {
		var err error
		if merged, err = mergeOverlapping(tx, prefix, evs); err != nil {
			return 0, err
		}
	}
	for _, c := range splitChunks(merged) {
		if err := tx.Put(chunkKey(prefix, c[len(c)-1].pos()), encodeChunk(c)); err != nil {
			return 0, err
		}
	}
	lo, hi := evs[0].ts, evs[len(evs)-1].ts
	if s.HasEvents {
		lo, hi = min(lo, s.FirstEvent), max(hi, s.LastEvent)
	}
	s.HasEvents, s.FirstEvent, s.LastEvent = true, lo, hi
	s.StoredBytes += bytes
	s.Events += int64(len(evs))
	return bytes, nil
}

// mergeOverlapping deletes the chunks that overlap the span of evs and
// returns their events merged with evs, in position order.
func mergeOverlapping(tx store.Tx, prefix string, evs []event) ([]event, error) {
	lo, hi := evs[0].pos(), evs[len(evs)-1].pos()
	after := seekAfter(prefix, lo)
	var old []event
	for {
		kvs, err := tx.List(prefix, after, 16)
		if err != nil {
			return nil, err
		}
		done := len(kvs) < 16
		for _, kv := range kvs {
			chunk, err := decodeChunk(kv.Value)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", kv.Key, err)
			}
			if len(chunk) > 0 && hi.less(chunk[0].pos()) {
				done = true
				break
			}
			old = append(old, chunk...)
			if err := tx.Delete(kv.Key); err != nil {
				return nil, err
			}
			after = kv.Key
		}
		if done {
			break
		}
	}
	if len(old) == 0 {
		return evs, nil
	}
	out := make([]event, 0, len(old)+len(evs))
	out = append(out, old...)
	out = append(out, evs...)
	slices.SortFunc(out, func(x, y event) int {
		switch {
		case x.pos().less(y.pos()):
			return -1
		case y.pos().less(x.pos()):
			return 1
		}
		return 0
	})
	return out, nil
}
