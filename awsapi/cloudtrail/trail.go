package cloudtrail

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
)

// DefaultCapacity is how many events the trail keeps unless told.
const DefaultCapacity = 10000

// record is one event as kept: the audit record and its id and sequence
// number (which NextToken carries).
type record struct {
	seq uint64
	id  string
	awsapi.AuditRecord
}

// Trail is the bounded ring of events. It is safe for concurrent use.
type Trail struct {
	mu   sync.Mutex
	ring []record
	next int    // where the next record goes
	seq  uint64 // sequence number of the last record
}

// New returns a trail keeping the last capacity events.
func New(capacity int) *Trail {
	if capacity <= 0 {
		capacity = DefaultCapacity
	}
	return &Trail{ring: make([]record, 0, capacity)}
}

// Record adds one call; it is the awsapi.Server's auditor. CloudTrail's
// own calls are not recorded (a LookupEvents loop would fill the ring).
func (t *Trail) Record(a awsapi.AuditRecord) {
	if a.Service == SigningName {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.seq++
	r := record{seq: t.seq, id: awsapi.NewUUID(), AuditRecord: a}
	if len(t.ring) < cap(t.ring) {
		t.ring = append(t.ring, r)
		return
	}
	t.ring[t.next] = r
	t.next = (t.next + 1) % len(t.ring)
}

// newestFirst copies the records, newest first.
func (t *Trail) newestFirst() []record {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]record, 0, len(t.ring))
	out = append(out, t.ring[t.next:]...)
	out = append(out, t.ring[:t.next]...)
	slices.Reverse(out)
	return out
}

// Service is CloudTrail's LookupEvents on the trail.
func (t *Trail) Service() *awsapi.JSONService {
	return &awsapi.JSONService{
		SigningName: SigningName, TargetPrefix: ServiceTarget, ValidationCode: "InvalidParameterException",
		Known: map[string]bool{"LookupEvents": true},
		Ops:   map[string]awsapi.Handler{"LookupEvents": awsapi.JSON(t.LookupEvents)},
	}
}

// LookupEvents answers the region's events, newest first, filtered by at
// most one lookup attribute and a time range, MaxResults (1-50) a page.
func (t *Trail) LookupEvents(ctx context.Context, in *LookupEventsRequest) (*LookupEventsResponse, error) {
	req := awsapi.RequestFrom(ctx)
	max := int32(50)
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 50 {
			return nil, awsapi.Errorf("InvalidMaxResultsException", "MaxResults must be between 1 and 50, got %d.", *in.MaxResults)
		}
		max = *in.MaxResults
	}
	if len(in.LookupAttributes) > 1 {
		return nil, awsapi.Errorf("InvalidLookupAttributesException", "You can specify only one lookup attribute.")
	}
	var key, value string
	if len(in.LookupAttributes) == 1 {
		key, value = awsapi.Deref(in.LookupAttributes[0].AttributeKey), awsapi.Deref(in.LookupAttributes[0].AttributeValue)
		if !slices.Contains(lookupKeys, key) {
			return nil, awsapi.Errorf("InvalidLookupAttributesException", "AttributeKey must be one of %s, got %q.", strings.Join(lookupKeys, ", "), key)
		}
	}
	if !in.StartTime.IsZero() && !in.EndTime.IsZero() && in.StartTime.After(in.EndTime.Time) {
		return nil, awsapi.Errorf("InvalidTimeRangeException", "Start time must be before end time.")
	}
	after := uint64(0) // page after this sequence number (older records)
	if tok := awsapi.Deref(in.NextToken); tok != "" {
		n, err := strconv.ParseUint(tok, 10, 64)
		if err != nil {
			return nil, awsapi.Errorf("InvalidNextTokenException", "The NextToken %q is not valid.", tok)
		}
		after = n
	}
	out := &LookupEventsResponse{Events: []Event{}}
	for _, r := range t.newestFirst() {
		if after != 0 && r.seq >= after || r.Region != req.Region || !inRange(r.Time, in) {
			continue
		}
		ev := event(r)
		if key != "" && !matches(ev, r, key, value) {
			continue
		}
		if len(out.Events) == int(max) {
			out.NextToken = new(strconv.FormatUint(r.seq+1, 10))
			break
		}
		out.Events = append(out.Events, ev)
	}
	return out, nil
}

func inRange(at time.Time, in *LookupEventsRequest) bool {
	return (in.StartTime.IsZero() || !at.Before(in.StartTime.Time)) && (in.EndTime.IsZero() || !at.After(in.EndTime.Time))
}

func matches(ev Event, r record, key, value string) bool {
	switch key {
	case keyEventID:
		return r.id == value
	case keyEventName:
		return r.Operation == value
	case keyReadOnly:
		return awsapi.Deref(ev.ReadOnly) == value
	case keyUsername:
		return awsapi.Deref(ev.Username) == value
	case keyEventSource:
		return awsapi.Deref(ev.EventSource) == value
	case keyAccessKeyID:
		return r.AccessKey == value
	}
	return false // resources are not recorded
}

// readOnly tells reads from writes by the operation's verb, as
// CloudTrail's readOnly does.
func readOnly(op string) bool {
	for _, p := range []string{"Describe", "List", "Get", "Lookup", "BatchGet", "Discover"} {
		if strings.HasPrefix(op, p) {
			return true
		}
	}
	return false
}

// eventSource is the service's name in events: ecs.amazonaws.com.
func eventSource(service string) string {
	if service == "" {
		return ""
	}
	return service + ".amazonaws.com"
}

// event is the LookupEvents shape of a record, with its CloudTrail JSON.
func event(r record) Event {
	source := eventSource(r.Service)
	identity := map[string]any{"accountId": r.Account}
	username := ""
	if p := r.Principal; p != nil {
		identity["type"], identity["arn"], identity["accessKeyId"] = p.Type, p.ARN, p.AccessKey
		if p.Account != "" {
			identity["accountId"] = p.Account
		}
		switch p.Type {
		case awsapi.PrincipalRoot:
			username = "root"
		case awsapi.PrincipalUser:
			username = p.UserName
		default:
			username = p.ARN[strings.LastIndexByte(p.ARN, '/')+1:]
		}
	} else {
		// Not verified: auth off with an unknown key, or a refused call.
		identity["type"] = "Unknown"
		if r.AccessKey != "" {
			identity["accessKeyId"] = r.AccessKey
		}
	}
	detail := map[string]any{
		"eventVersion": "1.08", "userIdentity": identity, "eventTime": r.Time.UTC().Format(time.RFC3339),
		"eventSource": source, "eventName": r.Operation, "awsRegion": r.Region, "sourceIPAddress": r.SourceIP,
		"userAgent": r.UserAgent, "requestID": r.RequestID, "eventID": r.id, "readOnly": readOnly(r.Operation),
		"eventType": "AwsApiCall", "managementEvent": true, "recipientAccountId": r.Account, "eventCategory": "Management",
	}
	if r.ErrorCode != "" || r.Status != http.StatusOK {
		detail["errorCode"] = r.ErrorCode
	}
	js, _ := json.Marshal(detail)
	ev := Event{EventID: new(r.id), EventName: new(r.Operation), ReadOnly: new(strconv.FormatBool(readOnly(r.Operation))),
		EventTime: shape.TimeOf(r.Time.Truncate(time.Second)), EventSource: new(source), Resources: []Resource{}, CloudTrailEvent: new(string(js))}
	if r.AccessKey != "" {
		ev.AccessKeyID = new(r.AccessKey)
	}
	if username != "" {
		ev.Username = new(username)
	}
	return ev
}
