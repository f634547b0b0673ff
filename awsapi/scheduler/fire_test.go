package scheduler

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/schedulertypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/internal/testdb"
	"github.com/wharfhq/wharf/store/bolt"
)

type fakeECS struct {
	mu   sync.Mutex
	runs []*ecstypes.RunTaskRequest
	ran  chan struct{}
}

func (f *fakeECS) RunTask(_ context.Context, in *ecstypes.RunTaskRequest) (*ecstypes.RunTaskResponse, error) {
	f.mu.Lock()
	f.runs = append(f.runs, in)
	f.mu.Unlock()
	f.ran <- struct{}{}
	return &ecstypes.RunTaskResponse{Tasks: []ecstypes.Task{{}}}, nil
}

// TestFireOncePerTick: a tick claimed by one server (or before a restart)
// is not fired by another reading the same store at the same moment.
func TestFireOncePerTick(t *testing.T) {
	db := testdb.Bolt(t, bolt.Options{})
	now := time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	ecs := &fakeECS{ran: make(chan struct{}, 10)}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, b := New(db, ecs, log), New(db, ecs, log)
	for _, api := range []*API{a, b} {
		api.Now = func() time.Time { return now }
	}
	ctx := awsapi.WithRequest(context.Background(), &awsapi.Request{Account: "000000000000", Region: "us-east-1"})
	_, err := a.CreateSchedule(ctx, &schedulertypes.CreateScheduleInput{Name: new("job"), ScheduleExpression: new("rate(5 minutes)"),
		FlexibleTimeWindow: &schedulertypes.FlexibleTimeWindow{Mode: schedulertypes.FlexibleTimeWindowModeOff},
		Target: &schedulertypes.Target{Arn: new("arn:aws:ecs:us-east-1:000000000000:cluster/batch"), RoleArn: new("r"),
			EcsParameters: &schedulertypes.EcsParameters{TaskDefinitionArn: new("job")}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		name    string
		api     *API
		advance time.Duration
		fires   int
		next    time.Time
	}{
		{"rate starts at once", a, 0, 1, now.Add(5 * time.Minute)},
		{"the same tick, another server", b, 0, 0, now.Add(5 * time.Minute)},
		{"not yet due", b, 4 * time.Minute, 0, now.Add(5 * time.Minute)},
		{"due", b, time.Minute, 1, now.Add(10 * time.Minute)},
		{"the same tick again", a, 0, 0, now.Add(10 * time.Minute)},
		{"missed ticks fire once", a, 22 * time.Minute, 1, now.Add(32 * time.Minute)},
	} {
		t.Run(step.name, func(t *testing.T) {
			now = now.Add(step.advance)
			before := len(ecs.runs)
			next, err := step.api.FireDue(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for range step.fires {
				select {
				case <-ecs.ran:
				case <-time.After(5 * time.Second):
					t.Fatal("RunTask not called")
				}
			}
			ecs.mu.Lock()
			got := len(ecs.runs) - before
			ecs.mu.Unlock()
			if got != step.fires || !next.Equal(step.next) {
				t.Fatalf("fired %d, next %v; want %d, %v", got, next, step.fires, step.next)
			}
		})
	}
	if r := ecs.runs[0]; *r.StartedBy != "chronos-schedule/job" || *r.Cluster != "arn:aws:ecs:us-east-1:000000000000:cluster/batch" || *r.Count != 1 {
		t.Fatalf("RunTask request: %+v", r)
	}
}

func TestTicks(t *testing.T) {
	utc := time.UTC
	now := time.Date(2026, 1, 1, 10, 0, 0, 0, utc)
	a := &API{Minute: time.Minute}
	for _, tc := range []struct {
		name        string
		r           scheduleRecord
		first, next time.Time // next: after first fired, at first
	}{
		{"rate at once", scheduleRecord{Expression: "rate(1 hour)"}, now, now.Add(time.Hour)},
		{"rate from start date", scheduleRecord{Expression: "rate(1 hour)", StartDate: now.Add(30 * time.Minute)}, now.Add(30 * time.Minute), now.Add(90 * time.Minute)},
		{"cron in a zone", scheduleRecord{Expression: "cron(0 12 * * ? *)", Timezone: "Asia/Tokyo"}, time.Date(2026, 1, 2, 3, 0, 0, 0, utc), time.Date(2026, 1, 3, 3, 0, 0, 0, utc)},
		{"cron on its start date", scheduleRecord{Expression: "cron(0 12 * * ? *)", StartDate: time.Date(2026, 1, 5, 12, 0, 0, 0, utc)}, time.Date(2026, 1, 5, 12, 0, 0, 0, utc), time.Date(2026, 1, 6, 12, 0, 0, 0, utc)},
		{"end date stops", scheduleRecord{Expression: "rate(1 hour)", EndDate: now.Add(90 * time.Minute)}, now, now.Add(time.Hour)},
		{"at once", scheduleRecord{Expression: "at(2026-01-01T11:00:00)"}, now.Add(time.Hour), time.Time{}},
		{"at past", scheduleRecord{Expression: "at(2025-01-01T11:00:00)"}, time.Time{}, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := a.schedule(&tc.r)
			if err != nil {
				t.Fatal(err)
			}
			first := firstTick(s, &tc.r, now)
			if !first.Equal(tc.first) {
				t.Fatalf("first = %v, want %v", first, tc.first)
			}
			if first.IsZero() {
				return
			}
			if next := nextTick(s, &tc.r, first, first); !next.Equal(tc.next) {
				t.Fatalf("next = %v, want %v", next, tc.next)
			}
		})
	}
}
