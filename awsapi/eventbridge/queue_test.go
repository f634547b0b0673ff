package eventbridge

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/eventbridgetypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
	"github.com/wharfhq/wharf/store/bolt"
)

func queuedDeliveries(t testing.TB, db store.Backend) []deliveryRecord {
	t.Helper()
	var out []deliveryRecord
	if err := db.View(context.Background(), func(tx store.ReadTx) (err error) {
		out, err = store.List[deliveryRecord](tx, deliveriesRoot)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// logSink is a LogWriter that fails while failing is set.
type logSink struct {
	mu      sync.Mutex
	failing error
	got     []string
}

func (l *logSink) WriteEvent(ctx context.Context, sc model.Scope, group, stream string, at time.Time, message string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.failing != nil {
		return l.failing
	}
	l.got = append(l.got, group+" "+message)
	return nil
}

func (l *logSink) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.got)
}

func openDB(t *testing.T, path string) store.Backend {
	t.Helper()
	db, err := bolt.Open(path, bolt.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

var testCtx = awsapi.WithRequest(context.Background(), &awsapi.Request{Account: "000000000000", Region: "us-east-1"})

func putLogRule(t *testing.T, a *API, retry *eventbridgetypes.RetryPolicy) {
	t.Helper()
	if _, err := a.PutRule(testCtx, &eventbridgetypes.PutRuleRequest{Name: new("r"), EventPattern: new(`{"source":["app"]}`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.PutTargets(testCtx, &eventbridgetypes.PutTargetsRequest{Rule: new("r"), Targets: []eventbridgetypes.Target{
		{Id: new("l"), Arn: new("arn:aws:logs:us-east-1:000000000000:log-group:g"), RetryPolicy: retry}}}); err != nil {
		t.Fatal(err)
	}
}

func putEvent(t *testing.T, a *API, detail string) *eventbridgetypes.PutEventsResponse {
	t.Helper()
	out, err := a.PutEvents(testCtx, &eventbridgetypes.PutEventsRequest{Entries: []eventbridgetypes.PutEventsRequestEntry{
		{Source: new("app"), DetailType: new("thing"), Detail: new(detail)}}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestDeliveriesSurviveRestart: events put (and acknowledged) while no
// deliverer runs are in the store; a new API on the reopened store, as
// after a restart, delivers them, in order, and empties the queue.
func TestDeliveriesSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wharf.db")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db := openDB(t, path)
	a := New(db, nil, &logSink{}, log)
	putLogRule(t, a, nil)
	for _, d := range []string{`{"n":1}`, `{"n":2}`, `{"n":3}`} {
		if out := putEvent(t, a, d); out.FailedEntryCount != 0 {
			t.Fatalf("PutEvents: %+v", out.Entries)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db = openDB(t, path)
	defer db.Close()
	sink := &logSink{}
	b := New(db, nil, sink, log)
	if n := len(queuedDeliveries(t, db)); n != 3 {
		t.Fatalf("%d deliveries queued after the restart, want 3", n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Deliverer().Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for sink.count() < 3 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if sink.count() != 3 {
		t.Fatalf("delivered %d of 3", sink.count())
	}
	for i, want := range []string{`"n":1`, `"n":2`, `"n":3`} {
		if !strings.Contains(sink.got[i], want) {
			t.Fatalf("delivery %d: %s, want %s", i, sink.got[i], want)
		}
	}
	if n := len(queuedDeliveries(t, db)); n != 0 {
		t.Fatalf("%d deliveries left", n)
	}
}

// TestDeliveryRetries: a failing target is retried with backoff until it
// takes the event, or until the target's RetryPolicy (attempts, event
// age) gives up; a client error such as a missing log group is not
// retried.
func TestDeliveryRetries(t *testing.T) {
	transient := errors.New("connection refused")
	missing := awsapi.Errorf("ResourceNotFoundException", "The specified log group does not exist.")
	cases := []struct {
		name      string
		retry     *eventbridgetypes.RetryPolicy
		err       error
		recoverAt int // the attempt that succeeds (0: never)
		passes    int
		delivered bool
		attempts  int // failed attempts recorded when it stays queued
		queued    bool
	}{
		{"retried until it succeeds", nil, transient, 3, 5, true, 0, false},
		{"default policy keeps retrying", nil, transient, 0, 6, false, 6, true},
		{"MaximumRetryAttempts 2", &eventbridgetypes.RetryPolicy{MaximumRetryAttempts: new(int32(2))}, transient, 0, 6, false, 0, false},
		{"MaximumRetryAttempts 0", &eventbridgetypes.RetryPolicy{MaximumRetryAttempts: new(int32(0))}, transient, 0, 1, false, 0, false},
		{"MaximumEventAgeInSeconds 60", &eventbridgetypes.RetryPolicy{MaximumEventAgeInSeconds: new(int32(60))}, transient, 0, 30, false, 0, false},
		{"not found is not retried", nil, missing, 0, 1, false, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := openDB(t, filepath.Join(t.TempDir(), "wharf.db"))
			defer db.Close()
			now := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
			sink := &logSink{failing: c.err}
			a := New(db, nil, sink, slog.New(slog.NewTextHandler(io.Discard, nil)))
			a.Now = func() time.Time { return now }
			putLogRule(t, a, c.retry)
			putEvent(t, a, `{"n":1}`)
			for pass := 1; pass <= c.passes; pass++ {
				if pass == c.recoverAt {
					sink.mu.Lock()
					sink.failing = nil
					sink.mu.Unlock()
				}
				next, err := a.DeliverDue(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				if !next.IsZero() {
					now = next // jump to the retry's time
				}
			}
			q := queuedDeliveries(t, db)
			if got := sink.count() == 1; got != c.delivered {
				t.Fatalf("delivered %v, want %v", got, c.delivered)
			}
			if (len(q) == 1) != c.queued {
				t.Fatalf("queued %d, want queued %v", len(q), c.queued)
			}
			if c.queued && q[0].Attempts != c.attempts {
				t.Fatalf("attempts %d, want %d (%+v)", q[0].Attempts, c.attempts, q[0])
			}
		})
	}
}

func TestRetryDelay(t *testing.T) {
	cases := []struct {
		name string
		n    int
		max  time.Duration
	}{
		{"first retry within a second", 1, time.Second},
		{"fourth within 8 s", 4, 8 * time.Second},
		{"capped at 5 min", 30, 5 * time.Minute},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if d := retryDelay(c.n, func() float64 { return 0.999999 }); d > c.max+time.Millisecond || d < c.max*9/10 {
				t.Fatalf("delay %v, want about %v", d, c.max)
			}
			if d := retryDelay(c.n, func() float64 { return 0 }); d <= 0 {
				t.Fatalf("zero delay %v", d)
			}
		})
	}
}

// TestQueueBound: past maxQueued deliveries, PutEvents refuses the entry
// with ThrottlingException instead of dropping it silently.
func TestQueueBound(t *testing.T) {
	db := openDB(t, filepath.Join(t.TempDir(), "wharf.db"))
	defer db.Close()
	a := New(db, nil, &logSink{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	putLogRule(t, a, nil)
	if err := a.reserve(context.Background(), maxQueued-1); err != nil {
		t.Fatal(err)
	}
	if out := putEvent(t, a, `{"n":1}`); out.FailedEntryCount != 0 {
		t.Fatalf("the last place: %+v", out.Entries)
	}
	out := putEvent(t, a, `{"n":2}`)
	if out.FailedEntryCount != 1 || awsapi.Deref(out.Entries[0].ErrorCode) != "ThrottlingException" {
		t.Fatalf("a full queue: %+v", out.Entries)
	}
}
