package logs

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/wharfhq/wharf/api/logstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/store"
)

// GetLogEvents tokens are shaped as CloudWatch's: "f/DIGITS/s" to read
// forward, "b/DIGITS/s" to read backward, the digits being a boundary in
// the stream (20 for the timestamp, 20 for the seq).

func eventToken(dir byte, p pos) string {
	return fmt.Sprintf("%c/%020d%020d/s", dir, p.ts, p.seq)
}

func parseEventToken(tok string) (dir byte, p pos, err error) {
	bad := invalidParam("The specified nextToken is invalid: pass a nextForwardToken or nextBackwardToken unchanged.")
	if len(tok) != 2+40+2 || (tok[0] != 'f' && tok[0] != 'b') || tok[1] != '/' || !strings.HasSuffix(tok, "/s") {
		return 0, p, bad
	}
	ts, err1 := strconv.ParseInt(tok[2:22], 10, 64)
	seq, err2 := strconv.ParseUint(tok[22:42], 10, 64)
	if err1 != nil || err2 != nil || ts < 0 {
		return 0, p, bad
	}
	return tok[0], pos{ts, seq}, nil
}

// GetLogEvents reads one stream forward (startFromHead, or a forward
// token) or backward (the default: the newest events), within
// [startTime, endTime).
func (a *API) GetLogEvents(ctx context.Context, in *logstypes.GetLogEventsRequest) (*logstypes.GetLogEventsResponse, error) {
	sc := scopeOf(ctx)
	name, err := sc.groupName(in.LogGroupName, in.LogGroupIdentifier)
	if err != nil {
		return nil, err
	}
	start, end := timeRange(in.StartTime, in.EndTime)
	limit := awsapi.PageLimit(in.Limit, 10000)
	forward := in.StartFromHead != nil && *in.StartFromHead
	at := pos{start, 0}
	if !forward {
		at = posEnd
	}
	tok := awsapi.Deref(in.NextToken)
	if tok != "" {
		dir, p, err := parseEventToken(tok)
		if err != nil {
			return nil, err
		}
		forward, at = dir == 'f', p
	}
	var evs []event
	err = a.DB.View(ctx, func(tx store.ReadTx) error {
		g, s, err := getStream(tx, sc, name, *in.LogStreamName)
		if err != nil {
			return err
		}
		prefix := eventsPrefix(g.ID, s.ID)
		if forward {
			evs, err = readForward(tx, prefix, at, start, end, limit)
		} else {
			evs, err = readBackward(tx, prefix, s, at, start, end, limit)
		}
		return err
	})
	if err != nil {
		return nil, wrap("GetLogEvents", err)
	}
	out := &logstypes.GetLogEventsResponse{Events: make([]logstypes.OutputLogEvent, 0, len(evs))}
	for i := range evs {
		e := &evs[i]
		out.Events = append(out.Events, logstypes.OutputLogEvent{Timestamp: new(e.ts), Message: new(e.msg), IngestionTime: new(e.ingest)})
	}
	switch {
	case len(evs) > 0:
		out.NextForwardToken = new(eventToken('f', evs[len(evs)-1].pos().after()))
		out.NextBackwardToken = new(eventToken('b', evs[0].pos()))
	case tok != "":
		// Nothing new that way: the same token again, as CloudWatch does.
		out.NextForwardToken, out.NextBackwardToken = new(eventToken('f', at)), new(eventToken('b', at))
		if forward {
			out.NextForwardToken = new(tok)
		} else {
			out.NextBackwardToken = new(tok)
		}
	default:
		// An empty range: reading forward from its start sees what comes.
		out.NextForwardToken = new(eventToken('f', pos{start, 0}))
		out.NextBackwardToken = new(eventToken('b', pos{start, 0}))
	}
	return out, nil
}

// timeRange is a request's [startTime, endTime), open-ended when absent.
func timeRange(startTime, endTime *int64) (start, end int64) {
	start, end = 0, math.MaxInt64
	if startTime != nil && *startTime > 0 {
		start = *startTime
	}
	if endTime != nil {
		end = *endTime
	}
	return start, end
}
