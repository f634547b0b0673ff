package logs

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/wharfhq/wharf/api/logstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/store"
)

// CreateLogStream creates an empty stream in a group.
func (a *API) CreateLogStream(ctx context.Context, in *logstypes.CreateLogStreamRequest) (*struct{}, error) {
	sc := scopeOf(ctx)
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		g, err := getGroup(tx, sc, *in.LogGroupName)
		if err != nil {
			return err
		}
		key := streamKey(g.ID, *in.LogStreamName)
		if _, ok, err := tx.Get(key); err != nil || ok {
			if err != nil {
				return err
			}
			return awsapi.Errorf(codeResourceAlreadyExists, "The specified log stream already exists")
		}
		id, err := nextID(tx)
		if err != nil {
			return err
		}
		return store.Put(tx, key, streamRec{ID: id, Name: *in.LogStreamName, CreationTime: a.nowMillis(), NextSeq: 1})
	})
	if err != nil {
		return nil, wrap("CreateLogStream", err)
	}
	return nil, nil
}

// DeleteLogStream deletes a stream; the janitor deletes its events.
func (a *API) DeleteLogStream(ctx context.Context, in *logstypes.DeleteLogStreamRequest) (*struct{}, error) {
	sc := scopeOf(ctx)
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		g, s, err := getStream(tx, sc, *in.LogGroupName, *in.LogStreamName)
		if err != nil {
			return err
		}
		g.StoredBytes -= s.StoredBytes
		if err := store.Put(tx, groupKey(sc.Account, sc.Region, g.Name), g); err != nil {
			return err
		}
		if err := tx.Put(tombstonesPrefix+hex16(g.ID)+"/"+hex16(s.ID), []byte("{}")); err != nil {
			return err
		}
		return tx.Delete(streamKey(g.ID, s.Name))
	})
	if err != nil {
		return nil, wrap("DeleteLogStream", err)
	}
	a.nudge()
	return nil, nil
}

// DescribeLogStreams lists a group's streams by name (optionally with a
// prefix) or by the time of their last event, either way up or down.
func (a *API) DescribeLogStreams(ctx context.Context, in *logstypes.DescribeLogStreamsRequest) (*logstypes.DescribeLogStreamsResponse, error) {
	sc := scopeOf(ctx)
	name, err := sc.groupName(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	byTime := in.OrderBy == logstypes.OrderByLastEventTime
	if byTime && in.LogStreamNamePrefix != nil {
		return nil, invalidParam("Cannot order by LastEventTime with a logStreamNamePrefix.")
	}
	desc := in.Descending != nil && *in.Descending
	list := fmt.Sprintf("DescribeLogStreams/%s/%v/%v", name, byTime, desc)
	c, err := pageCursor(list, in.NextToken)
	if err != nil {
		return nil, err
	}
	limit := awsapi.PageLimit(in.Limit, 50)
	var streams []streamRec
	var next *string
	err = a.DB.View(ctx, func(tx store.ReadTx) error {
		g, err := getGroup(tx, sc, name)
		if err != nil {
			return err
		}
		if !byTime && !desc {
			// Keyed by name: the store's order is the answer's.
			streams, next, err = awsapi.StorePage[streamRec](tx, streamsPrefix(g.ID), awsapi.Deref(in.LogStreamNamePrefix), c, limit, nil)
			return err
		}
		streams, err = store.List[streamRec](tx, streamsPrefix(g.ID)+awsapi.Deref(in.LogStreamNamePrefix))
		return err
	})
	if err != nil {
		return nil, wrap("DescribeLogStreams", err)
	}
	if byTime || desc {
		streams, next = sortedPage(streams, byTime, desc, c, limit)
	}
	out := &logstypes.DescribeLogStreamsResponse{LogStreams: make([]logstypes.LogStream, 0, len(streams)), NextToken: next}
	for _, s := range streams {
		out.LogStreams = append(out.LogStreams, s.shape(sc, name))
	}
	return out, nil
}

// sortedPage cuts the page after c out of streams in the order asked for
// other than the store's: by name descending, or by the last event's time.
func sortedPage(streams []streamRec, byTime, desc bool, c awsapi.Cursor, limit int) ([]streamRec, *string) {
	// The sort key: the name, or the last event's time then the name
	// (streams without events first).
	key := func(s streamRec) string { return s.Name }
	if byTime {
		key = func(s streamRec) string {
			t := int64(-1)
			if s.HasEvents {
				t = s.LastEvent
			}
			return fmt.Sprintf("%021d/%s", t+1, s.Name)
		}
	}
	slices.SortFunc(streams, func(x, y streamRec) int {
		c := cmp.Compare(key(x), key(y))
		if desc {
			return -c
		}
		return c
	})
	start := 0
	if c.After != "" {
		for start < len(streams) && (!desc && key(streams[start]) <= c.After || desc && key(streams[start]) >= c.After) {
			start++
		}
	}
	end := min(start+limit, len(streams))
	var next *string
	if end < len(streams) && end > start {
		next = c.Next(key(streams[end-1]))
	}
	return streams[start:end], next
}
