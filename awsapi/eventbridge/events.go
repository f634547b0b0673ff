package eventbridge

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/wharfhq/wharf/api/eventbridgetypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/eventpattern"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// maxEntrySize is PutEvents' limit on one entry (256 KB).
const maxEntrySize = 256 * 1024

// PutEvents puts custom events on buses; an entry refused for its own
// reason is reported in its place, the others are delivered.
func (a *API) PutEvents(ctx context.Context, in *eventbridgetypes.PutEventsRequest) (*eventbridgetypes.PutEventsResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	out := &eventbridgetypes.PutEventsResponse{Entries: make([]eventbridgetypes.PutEventsResultEntry, 0, len(in.Entries))}
	for _, e := range in.Entries {
		res := eventbridgetypes.PutEventsResultEntry{}
		code, msg := checkEntry(&e)
		if code == "" {
			t := e.Time.Time
			if t.IsZero() {
				t = a.Now()
			}
			id, err := a.publish(ctx, sc, busName(e.EventBusName), e.Source, e.DetailType, e.Resources, json.RawMessage(*e.Detail), t)
			switch {
			case awsapi.IsCode(err, codeNotFound):
				code, msg = "InvalidArgument", "Event bus "+busName(e.EventBusName)+" does not exist."
			case errors.Is(err, errQueueFull):
				code, msg = "ThrottlingException", "Rate exceeded: the event delivery queue is full."
			case err != nil:
				return nil, wrap("PutEvents", err)
			default:
				res.EventId = new(id)
			}
		}
		if code != "" {
			res.ErrorCode, res.ErrorMessage = new(code), new(msg)
			out.FailedEntryCount++
		}
		out.Entries = append(out.Entries, res)
	}
	return out, nil
}

// checkEntry is why PutEvents refuses an entry (code and message), or "".
func checkEntry(e *eventbridgetypes.PutEventsRequestEntry) (code, msg string) {
	switch {
	case awsapi.Deref(e.Source) == "":
		return "InvalidArgument", "Parameter Source is not valid. Reason: Source is a required argument."
	case awsapi.Deref(e.DetailType) == "":
		return "InvalidArgument", "Parameter DetailType is not valid. Reason: DetailType is a required argument."
	case awsapi.Deref(e.Detail) == "":
		return "InvalidArgument", "Parameter Detail is not valid. Reason: Detail is a required argument."
	case strings.HasPrefix(*e.Source, "aws."):
		return "NotAuthorizedForSourceException", "Not authorized for the source."
	case len(*e.Source)+len(*e.DetailType)+len(*e.Detail) > maxEntrySize:
		return "InvalidArgument", "Total size of the entry exceeds the 256KB limit."
	}
	if _, err := decodeObject(*e.Detail); err != nil {
		return "MalformedDetail", "Detail is malformed."
	}
	return "", ""
}

// PutEvent puts one event on an account's and region's default bus, as
// an AWS service does (wharf's ECS events). detail is a JSON object.
func (a *API) PutEvent(ctx context.Context, account, region, source, detailType string, resources []string, detail []byte, at time.Time) error {
	_, err := a.publish(ctx, model.Scope{Account: account, Region: region}, defaultBus, &source, &detailType, resources, detail, at)
	return err
}

// publish builds the event's envelope, matches it against the bus's
// enabled pattern rules and queues a delivery to each matching rule's
// targets.
func (a *API) publish(ctx context.Context, sc model.Scope, bus string, source, detailType *string, resources []string, detail json.RawMessage, at time.Time) (string, error) {
	id := awsapi.NewUUID()
	env := map[string]any{
		"version": "0", "id": id, "detail-type": *detailType, "source": *source,
		"account": sc.Account, "time": at.UTC().Format(time.RFC3339), "region": sc.Region,
		"resources": awsapi.OrEmpty(resources), "detail": detail,
	}
	eventJSON := marshal(env)
	event, err := decodeObject(eventJSON)
	if err != nil {
		return "", err
	}
	rules, err := awsapi.Read(ctx, a.DB, func(tx store.ReadTx) ([]ruleRecord, error) {
		if err := requireBus(tx, sc, bus); err != nil {
			return nil, err
		}
		return store.List[ruleRecord](tx, rulesPrefix(sc, bus))
	})
	if err != nil {
		return "", err
	}
	var matched []*ruleRecord
	for i := range rules {
		r := &rules[i]
		if r.State != eventbridgetypes.RuleStateEnabled || r.EventPattern == "" || len(r.Targets) == 0 {
			continue
		}
		p, err := a.patterns.get(r.EventPattern)
		if err != nil || !p.MatchValue(event) {
			continue
		}
		matched = append(matched, r)
	}
	// The deliveries are in the store before the event is acknowledged.
	if err := a.enqueue(ctx, sc, matched, eventJSON); err != nil {
		return "", err
	}
	return id, nil
}

// patternCache keeps compiled patterns by their text, so that matching an
// event does not parse every rule's pattern again.
type patternCache struct {
	mu sync.Mutex
	m  map[string]*eventpattern.Pattern
}

// maxCachedPatterns bounds the cache; past it, it starts over.
const maxCachedPatterns = 4096

func (c *patternCache) get(text string) (*eventpattern.Pattern, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if p, ok := c.m[text]; ok {
		return p, nil
	}
	p, err := eventpattern.Compile(text)
	if err != nil {
		return nil, err
	}
	if c.m == nil || len(c.m) >= maxCachedPatterns {
		c.m = map[string]*eventpattern.Pattern{}
	}
	c.m[text] = p
	return p, nil
}
