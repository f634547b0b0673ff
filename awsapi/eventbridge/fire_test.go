package eventbridge

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/eventbridgetypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/store/bolt"
)

// TestFireOncePerTick: each tick of a schedule rule is claimed once, by
// whichever server reads it first; a restart (a second API on the same
// store) does not fire it again; a disabled rule does not fire.
func TestFireOncePerTick(t *testing.T) {
	db := testdb.Bolt(t, bolt.Options{})
	now := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, b := New(db, nil, nil, log), New(db, nil, nil, log)
	for _, api := range []*API{a, b} {
		api.Now = func() time.Time { return now }
	}
	ctx := awsapi.WithRequest(context.Background(), &awsapi.Request{Account: "000000000000", Region: "us-east-1"})
	if _, err := a.PutRule(ctx, &eventbridgetypes.PutRuleRequest{Name: new("r"), ScheduleExpression: new("cron(0/10 * * * ? *)")}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.PutTargets(ctx, &eventbridgetypes.PutTargetsRequest{Rule: new("r"), Targets: []eventbridgetypes.Target{
		{Id: new("l"), Arn: new("arn:aws:logs:us-east-1:000000000000:log-group:g")}}}); err != nil {
		t.Fatal(err)
	}
	queued := func() int { return len(queuedDeliveries(t, db)) }
	for _, step := range []struct {
		name    string
		api     *API
		advance time.Duration
		disable bool
		fires   int
		next    time.Time
	}{
		{"not yet", a, 5 * time.Minute, false, 0, now.Add(10 * time.Minute)},
		{"first tick", a, 5 * time.Minute, false, 1, now.Add(20 * time.Minute)},
		{"same tick, after a restart", b, 0, false, 0, now.Add(20 * time.Minute)},
		{"missed ticks fire once", b, 35 * time.Minute, false, 1, now.Add(50 * time.Minute)},
		{"disabled", a, 20 * time.Minute, true, 0, time.Time{}},
	} {
		t.Run(step.name, func(t *testing.T) {
			now = now.Add(step.advance)
			if step.disable {
				if _, err := a.DisableRule(ctx, &eventbridgetypes.DisableRuleRequest{Name: new("r")}); err != nil {
					t.Fatal(err)
				}
			}
			before := queued()
			next, err := step.api.FireDue(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if got := queued() - before; got != step.fires || !next.Equal(step.next) {
				t.Fatalf("fired %d, next %v; want %d, %v", got, next, step.fires, step.next)
			}
		})
	}
	d := queuedDeliveries(t, db)[0]
	event, err := decodeObject(d.Event)
	if err != nil || event["detail-type"] != "Scheduled Event" || event["source"] != "aws.events" || d.Rule != "r" {
		t.Fatalf("scheduled event: %v %v", event, err)
	}
}
