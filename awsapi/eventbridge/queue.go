package eventbridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/wharfhq/wharf/api/eventbridgetypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// The delivery queue lives in the store: PutEvents, wharf's own events
// and schedule ticks record one delivery per (event, target) before they
// answer, and the deliverer drains the records, deleting each once its
// target took it. A delivery that fails with a retriable error is tried
// again with exponential backoff and full jitter, as EventBridge's retry
// policy: by default for 24 hours and up to 185 retries, or the target's
// RetryPolicy (MaximumRetryAttempts, MaximumEventAgeInSeconds), whichever
// ends first. A restart loses nothing that was acknowledged; a delivery
// that was being invoked when wharf stopped is invoked again (at least
// once, as EventBridge).
//
//	events-deliveries/SEQ   deliveryRecord (SEQ: enqueue order)

const deliveriesRoot = "events-deliveries/"

// maxQueued bounds the deliveries waiting in the store; past it PutEvents
// refuses entries (ThrottlingException) and wharf's own events fail.
const maxQueued = 16384

// EventBridge's default retry policy.
const (
	defaultRetryAttempts = 185
	defaultMaxEventAge   = 24 * time.Hour
)

// Backoff of retries: the n-th retry waits a random time up to
// min(retryCap, retryBase×2ⁿ⁻¹).
const (
	retryBase = time.Second
	retryCap  = 5 * time.Minute
	pageSize  = 256
)

// deliveryRecord is one event on its way to one target.
type deliveryRecord struct {
	Account  string                  `json:"account"`
	Region   string                  `json:"region"`
	Rule     string                  `json:"rule"`
	RuleARN  string                  `json:"ruleArn"`
	Target   eventbridgetypes.Target `json:"target"`
	Event    string                  `json:"event"` // the event's JSON
	Queued   time.Time               `json:"queued"`
	Attempts int                     `json:"attempts,omitempty"` // failed invocations so far
	NextAt   time.Time               `json:"nextAt,omitzero"`
	LastErr  string                  `json:"lastError,omitempty"`
}

// deliveryQueue counts the stored deliveries (read from the store once)
// and wakes the deliverer.
type deliveryQueue struct {
	mu     sync.Mutex
	loaded bool
	depth  int
	wake   chan struct{}
}

// errQueueFull is returned when the delivery queue is at maxQueued.
var errQueueFull = errors.New("event delivery queue is full")

func (q *deliveryQueue) wakeC() chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.wake == nil {
		q.wake = make(chan struct{}, 1)
	}
	return q.wake
}

func (q *deliveryQueue) nudge() {
	select {
	case q.wakeC() <- struct{}{}:
	default:
	}
}

// reserve takes room for n deliveries, counting the stored ones first.
func (a *API) reserve(ctx context.Context, n int) error {
	q := &a.q
	q.mu.Lock()
	defer q.mu.Unlock()
	if !q.loaded {
		count := 0
		err := a.DB.View(ctx, func(tx store.ReadTx) error {
			kvs, err := tx.List(deliveriesRoot, "", 0)
			count = len(kvs)
			return err
		})
		if err != nil {
			return fmt.Errorf("count queued deliveries: %w", err)
		}
		q.depth, q.loaded = count, true
	}
	if q.depth+n > maxQueued {
		return errQueueFull
	}
	q.depth += n
	return nil
}

func (a *API) release(n int) {
	a.q.mu.Lock()
	a.q.depth = max(a.q.depth-n, 0)
	a.q.mu.Unlock()
}

// seq makes delivery keys that sort in enqueue order.
var seqMu sync.Mutex
var seqLast int64

func nextSeq(now time.Time) string {
	seqMu.Lock()
	defer seqMu.Unlock()
	n := now.UnixNano()
	if n <= seqLast {
		n = seqLast + 1
	}
	seqLast = n
	return fmt.Sprintf("%019d", n)
}

// enqueueBatch is the most deliveries enqueue writes in one transaction:
// under etcd's default bound of 128 keys, as store.DeleteBatch.
const enqueueBatch = store.DeleteBatch

// enqueue records the deliveries of one event to the targets of rules,
// and returns once they are in the store. They are written at most
// enqueueBatch a transaction: an event matching many rules (five
// targets each) makes more deliveries than a backend writes in one. A
// failure part way leaves the batches already written queued, and they
// are delivered; the event is reported failed, and a sender that puts it
// again has those targets receive it twice, as EventBridge's at-least-once
// delivery allows.
func (a *API) enqueue(ctx context.Context, sc model.Scope, rules []*ruleRecord, eventJSON string) error {
	var recs []deliveryRecord
	now := a.Now()
	for _, r := range rules {
		for _, t := range r.Targets {
			recs = append(recs, deliveryRecord{Account: sc.Account, Region: sc.Region, Rule: r.Name, RuleARN: ruleARN(sc, r.Bus, r.Name),
				Target: t, Event: eventJSON, Queued: now})
		}
	}
	if len(recs) == 0 {
		return nil
	}
	if err := a.reserve(ctx, len(recs)); err != nil {
		return err
	}
	for i := 0; i < len(recs); i += enqueueBatch {
		batch := recs[i:min(len(recs), i+enqueueBatch)]
		_, err := a.DB.Update(ctx, func(tx store.Tx) error {
			for _, rec := range batch {
				if err := store.Put(tx, deliveriesRoot+nextSeq(now), rec); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			a.release(len(recs) - i)
			if i > 0 {
				a.q.nudge()
			}
			return fmt.Errorf("queue deliveries: %w", err)
		}
	}
	a.q.nudge()
	return nil
}

// Deliverer is the background work that delivers queued events to their
// targets; the server runs it.
func (a *API) Deliverer() interface {
	Run(ctx context.Context) error
} {
	return deliverer{a}
}

type deliverer struct{ a *API }

// Run delivers what is due, then sleeps until the next retry is due or an
// event is queued.
func (d deliverer) Run(ctx context.Context) error {
	wake := d.a.q.wakeC()
	for {
		next, err := d.a.DeliverDue(ctx)
		if ctx.Err() != nil {
			return nil
		}
		wait := time.Minute
		if err != nil {
			d.a.Log.Warn("events: delivery pass failed", "err", err)
			wait = time.Second
		} else if !next.IsZero() {
			wait = min(wait, max(time.Until(next), 0))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// DeliverDue invokes every queued delivery that is due, in enqueue order,
// and returns when the next retry is due (zero when none waits).
func (a *API) DeliverDue(ctx context.Context) (time.Time, error) {
	var soonest time.Time
	after := ""
	for {
		var page []store.KV
		err := a.DB.View(ctx, func(tx store.ReadTx) (err error) {
			page, err = tx.List(deliveriesRoot, after, pageSize)
			return err
		})
		if err != nil {
			return time.Time{}, fmt.Errorf("read queued deliveries: %w", err)
		}
		for _, kv := range page {
			var rec deliveryRecord
			if err := json.Unmarshal(kv.Value, &rec); err != nil {
				a.Log.Error("events: undecodable delivery dropped", "key", kv.Key, "err", err)
				if err := a.settle(ctx, kv.Key, nil); err != nil {
					return time.Time{}, err
				}
				continue
			}
			if rec.NextAt.After(a.Now()) {
				soonest = awsapi.Earliest(soonest, rec.NextAt)
				continue
			}
			next, err := a.attempt(ctx, kv.Key, &rec)
			if err != nil {
				return time.Time{}, err
			}
			soonest = awsapi.Earliest(soonest, next)
			if ctx.Err() != nil {
				return soonest, nil
			}
		}
		if len(page) < pageSize {
			return soonest, nil
		}
		after = page[len(page)-1].Key
	}
}

// attempt invokes one delivery and settles it: deleted when delivered or
// given up, else stored with its next retry time, which it returns.
func (a *API) attempt(ctx context.Context, key string, rec *deliveryRecord) (time.Time, error) {
	sc := model.Scope{Account: rec.Account, Region: rec.Region}
	event, err := decodeObject(rec.Event)
	if err != nil {
		a.Log.Error("events: undecodable event dropped", "rule", rec.RuleARN, "err", err)
		return time.Time{}, a.settle(ctx, key, nil)
	}
	d := delivery{sc: sc, rule: rec.Rule, ruleARN: rec.RuleARN, event: event, eventJSON: rec.Event}
	input := targetInput(&rec.Target, event, rec.Event, rec.Rule, rec.RuleARN)
	ierr := a.invoke(ctx, d, &rec.Target, input)
	if ierr == nil {
		return time.Time{}, a.settle(ctx, key, nil)
	}
	if ctx.Err() != nil {
		return time.Time{}, nil // shutting down: the delivery stays as it was
	}
	now := a.Now()
	rec.Attempts++
	rec.LastErr = ierr.Error()
	rec.NextAt = now.Add(retryDelay(rec.Attempts, rand.Float64))
	attempts, age := retryLimits(&rec.Target)
	why := ""
	switch {
	case !retriable(ierr):
		why = "not retriable"
	case rec.Attempts > attempts:
		why = fmt.Sprintf("%d retries exhausted", attempts)
	case rec.NextAt.Sub(rec.Queued) > age:
		why = fmt.Sprintf("event older than %s", age)
	}
	if why == "" {
		a.Log.Debug("events: target invocation failed; retrying", "rule", rec.RuleARN, "target", awsapi.Deref(rec.Target.Id),
			"attempt", rec.Attempts, "next", rec.NextAt, "err", ierr)
		return rec.NextAt, a.settle(ctx, key, rec)
	}
	// EventBridge sends the event to the target's dead-letter queue (an SQS
	// queue); wharf serves no SQS, so the event is dropped with its trace.
	dlq := ""
	if rec.Target.DeadLetterConfig != nil {
		dlq = awsapi.Deref(rec.Target.DeadLetterConfig.Arn)
	}
	a.Log.Warn("events: event dropped after failed delivery", "rule", rec.RuleARN, "target", awsapi.Deref(rec.Target.Id),
		"arn", awsapi.Deref(rec.Target.Arn), "event", event["id"], "attempts", rec.Attempts, "reason", why, "deadLetterQueue", dlq, "err", ierr)
	return time.Time{}, a.settle(ctx, key, nil)
}

// settle stores rec under key, or deletes key when rec is nil.
func (a *API) settle(ctx context.Context, key string, rec *deliveryRecord) error {
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		if _, ok, err := tx.Get(key); err != nil || !ok {
			return err
		}
		if rec != nil {
			return store.Put(tx, key, rec)
		}
		return tx.Delete(key)
	})
	if err != nil {
		return fmt.Errorf("settle delivery %s: %w", key, err)
	}
	if rec == nil {
		a.release(1)
	}
	return nil
}

// retryLimits is the target's retry policy, EventBridge's defaults where
// it says nothing.
func retryLimits(t *eventbridgetypes.Target) (attempts int, age time.Duration) {
	attempts, age = defaultRetryAttempts, defaultMaxEventAge
	if p := t.RetryPolicy; p != nil {
		if p.MaximumRetryAttempts != nil {
			attempts = int(*p.MaximumRetryAttempts)
		}
		if p.MaximumEventAgeInSeconds != nil {
			age = time.Duration(*p.MaximumEventAgeInSeconds) * time.Second
		}
	}
	return attempts, age
}

// retryDelay is the wait before retry n (1 for the first): full jitter
// over an exponential bound, rnd in [0, 1).
func retryDelay(n int, rnd func() float64) time.Duration {
	bound := retryCap
	if n <= 20 {
		bound = min(retryCap, retryBase<<(n-1))
	}
	return time.Duration(rnd()*float64(bound)) + time.Millisecond
}

// retriable reports whether EventBridge would retry a failed invocation:
// not when the target does not exist or refuses the request as invalid
// (a client error other than throttling), nor when wharf cannot deliver
// to that kind of target at all.
func retriable(err error) bool {
	var p permanent
	if errors.As(err, &p) {
		return false
	}
	e, ok := awsapi.AsError(err)
	if !ok || e.Fault == awsapi.ServerFault {
		return true
	}
	switch e.Code {
	case "ThrottlingException", "ThrottledException", "TooManyRequestsException", "LimitExceededException",
		"ServiceUnavailableException", "ServerException", "InternalFailure":
		return true
	}
	return false
}

// permanent marks an invocation error no retry can cure.
type permanent struct{ error }

func (p permanent) Unwrap() error { return p.error }
