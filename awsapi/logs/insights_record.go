package logs

import (
	"context"
	"strconv"

	"github.com/wharfhq/wharf/api/logstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/logsinsights"
	"github.com/wharfhq/wharf/store"
)

// GetLogRecord answers the whole event an Insights result row points at
// (@ptr): its message, where it came from, and its discovered fields.
func (a *API) GetLogRecord(ctx context.Context, in *logstypes.GetLogRecordRequest) (*logstypes.GetLogRecordResponse, error) {
	sc := scopeOf(ctx)
	gid, sid, p, ok := parseRecordPtr(*in.LogRecordPointer)
	if !ok {
		return nil, invalidParam("The specified logRecordPointer is not valid: pass the @ptr of a query result unchanged.")
	}
	out := &logstypes.GetLogRecordResponse{}
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		// Ids are not keys: find the group among the scope's (so that a
		// pointer never reaches another account's events), then the stream.
		groups, err := store.List[groupRec](tx, groupsPrefix(sc.Account, sc.Region))
		if err != nil {
			return err
		}
		var g *groupRec
		for i := range groups {
			if groups[i].ID == gid {
				g = &groups[i]
				break
			}
		}
		if g == nil {
			return recordNotFound()
		}
		streams, err := store.List[streamRec](tx, streamsPrefix(gid))
		if err != nil {
			return err
		}
		var s *streamRec
		for i := range streams {
			if streams[i].ID == sid {
				s = &streams[i]
				break
			}
		}
		if s == nil {
			return recordNotFound()
		}
		prefix := eventsPrefix(gid, sid)
		kvs, err := tx.List(prefix, seekAfter(prefix, p), 1)
		if err != nil || len(kvs) == 0 {
			if err != nil {
				return err
			}
			return recordNotFound()
		}
		evs, err := decodeChunkFrom(kvs[0].Value, p)
		if err != nil {
			return err
		}
		if len(evs) == 0 || evs[0].pos() != p {
			return recordNotFound()
		}
		e := evs[0]
		rec := logsinsights.DiscoveredFields(e.msg)
		rec["@timestamp"] = strconv.FormatInt(e.ts, 10)
		rec["@ingestionTime"] = strconv.FormatInt(e.ingest, 10)
		rec["@message"] = e.msg
		rec["@logStream"] = s.Name
		rec["@log"] = sc.Account + ":" + g.Name
		out.LogRecord = rec
		return nil
	})
	if err != nil {
		return nil, wrap("GetLogRecord", err)
	}
	return out, nil
}

func recordNotFound() error {
	return awsapi.Errorf(codeResourceNotFound, "The log record the pointer names does not exist (its events may have expired).")
}

// parseRecordPtr reads recordPtr's layout: four 16-digit hex numbers.
func parseRecordPtr(s string) (gid, sid uint64, p pos, ok bool) {
	if len(s) != 64 {
		return 0, 0, pos{}, false
	}
	var v [4]uint64
	for i := range v {
		n, err := parseHex16(s[i*16 : i*16+16])
		if err != nil {
			return 0, 0, pos{}, false
		}
		v[i] = n
	}
	return v[0], v[1], pos{int64(v[2]), v[3]}, true
}
