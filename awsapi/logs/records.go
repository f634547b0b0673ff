package logs

import (
	"context"
	"fmt"
	"strings"

	"github.com/wharfhq/wharf/api/logstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// groupRec is a log group as stored.
type groupRec struct {
	ID              uint64            `json:"id"`
	Name            string            `json:"name"`
	CreationTime    int64             `json:"creationTime"`
	RetentionInDays int32             `json:"retentionInDays,omitempty"`
	KmsKeyID        string            `json:"kmsKeyId,omitempty"`
	Class           string            `json:"class,omitempty"`
	Tags            map[string]string `json:"tags,omitempty"`
	StoredBytes     int64             `json:"storedBytes"`
}

// streamRec is a log stream as stored. First/LastEvent are meaningful only
// when HasEvents.
type streamRec struct {
	ID            uint64 `json:"id"`
	Name          string `json:"name"`
	CreationTime  int64  `json:"creationTime"`
	HasEvents     bool   `json:"hasEvents,omitempty"`
	FirstEvent    int64  `json:"firstEvent,omitempty"`
	LastEvent     int64  `json:"lastEvent,omitempty"`
	LastIngestion int64  `json:"lastIngestion,omitempty"`
	StoredBytes   int64  `json:"storedBytes"`
	Events        int64  `json:"events"`
	NextSeq       uint64 `json:"nextSeq"`
}

// scope is the caller's account and region, with the ARNs and references
// of log groups in it.
type scope model.Scope

func scopeOf(ctx context.Context) scope { return scope(awsapi.ScopeOf(ctx)) }

// groupARN is the ARN DescribeLogGroups reports in arn (with ":*").
func (s scope) groupARN(name string) string {
	return "arn:aws:logs:" + s.Region + ":" + s.Account + ":log-group:" + name + ":*"
}

// groupResourceARN is the ARN without the trailing ":*", as logGroupArn and
// the tagging operations use it.
func (s scope) groupResourceARN(name string) string {
	return "arn:aws:logs:" + s.Region + ":" + s.Account + ":log-group:" + name
}

func (s scope) streamARN(group, stream string) string {
	return s.groupResourceARN(group) + ":log-stream:" + stream
}

// groupNameFromARN returns the group an ARN of this scope names
// (arn:aws:logs:REGION:ACCOUNT:log-group:NAME, optionally ending in ":*").
func (s scope) groupNameFromARN(arn string) (string, bool) {
	prefix := "arn:aws:logs:" + s.Region + ":" + s.Account + ":log-group:"
	name, ok := strings.CutPrefix(arn, prefix)
	if !ok {
		return "", false
	}
	name = strings.TrimSuffix(name, ":*")
	if name == "" || strings.ContainsAny(name, ":*") {
		return "", false
	}
	return name, true
}

// groupName picks the group a request names, by logGroupName or by
// logGroupIdentifier (a name or an ARN); exactly one must be given.
func (s scope) groupName(name, identifier *string) (string, error) {
	switch {
	case name != nil && identifier != nil:
		return "", invalidParam("LogGroup name and LogGroup ARN are mutually exclusive parameters.")
	case name != nil:
		return *name, nil
	case identifier == nil:
		return "", invalidParam("Either logGroupName or logGroupIdentifier must be specified.")
	}
	id := *identifier
	if strings.HasPrefix(id, "arn:") {
		n, ok := s.groupNameFromARN(id)
		if !ok {
			return "", groupNotFound()
		}
		return n, nil
	}
	return id, nil
}

func getGroup(tx store.ReadTx, sc scope, name string) (groupRec, error) {
	return awsapi.Find[groupRec](tx, groupKey(sc.Account, sc.Region, name), groupNotFound)
}

// getStream reads a group of the caller's scope and a stream of it.
func getStream(tx store.ReadTx, sc scope, group, name string) (groupRec, streamRec, error) {
	g, err := getGroup(tx, sc, group)
	if err != nil {
		return g, streamRec{}, err
	}
	s, err := awsapi.Find[streamRec](tx, streamKey(g.ID, name), streamNotFound)
	return g, s, err
}

// nextID allocates an id for a group or stream; ids are never reused, so
// the events of a deleted group can be removed lazily while a group of the
// same name starts afresh.
func nextID(tx store.Tx) (uint64, error) {
	n, _, err := store.Get[uint64](tx, idCounterKey)
	if err != nil {
		return 0, err
	}
	n++
	return n, store.Put(tx, idCounterKey, n)
}

func (g groupRec) shape(sc scope) logstypes.LogGroup {
	out := logstypes.LogGroup{
		LogGroupName:      new(g.Name),
		CreationTime:      new(g.CreationTime),
		MetricFilterCount: new(int32(0)),
		Arn:               new(sc.groupARN(g.Name)),
		LogGroupArn:       new(sc.groupResourceARN(g.Name)),
		StoredBytes:       new(g.StoredBytes),
		LogGroupClass:     logstypes.LogGroupClass(g.Class),
	}
	if g.RetentionInDays > 0 {
		out.RetentionInDays = new(g.RetentionInDays)
	}
	if g.KmsKeyID != "" {
		out.KmsKeyId = new(g.KmsKeyID)
	}
	return out
}

func (s streamRec) shape(sc scope, group string) logstypes.LogStream {
	out := logstypes.LogStream{
		LogStreamName:       new(s.Name),
		CreationTime:        new(s.CreationTime),
		Arn:                 new(sc.streamARN(group, s.Name)),
		StoredBytes:         new(s.StoredBytes),
		UploadSequenceToken: new(sequenceToken(s.NextSeq)),
	}
	if s.HasEvents {
		out.FirstEventTimestamp = new(s.FirstEvent)
		out.LastEventTimestamp = new(s.LastEvent)
		out.LastIngestionTime = new(s.LastIngestion)
	}
	return out
}

// sequenceToken is what PutLogEvents and DescribeLogStreams hand out.
// CloudWatch no longer requires it and neither does wharf: any token, or
// none, is accepted.
func sequenceToken(next uint64) string { return fmt.Sprintf("%056d", next) }
