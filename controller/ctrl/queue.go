package ctrl

import (
	"sync"
	"time"
)

// Queue is a keyed, rate-limited work queue with the semantics of
// Kubernetes' workqueue. It holds keys, not events: a key added ten times
// before a worker takes it is processed once, and the sync function re-reads
// whatever the key names (level-triggered).
//
//   - Add queues a key unless it is already waiting.
//   - Get hands a key to one worker; until that worker calls Done, the key
//     is not handed out again. Added meanwhile, it is queued again at Done,
//     so a change that raced with the sync is never lost.
//   - AddRateLimited queues the key after a per-key exponential backoff;
//     Forget resets it (after a success); NumRequeues counts the failures.
//   - AddAfter queues a key once a delay has passed.
//   - ShutDown stops taking keys; Get still hands out the keys already
//     queued, then reports shutdown.
//
// A queue runs one goroutine for its delayed keys, which ShutDown stops.
type Queue struct {
	clock   Clock
	backoff Backoff

	mu         sync.Mutex
	cond       *sync.Cond
	order      []string             // keys ready for Get, first in first out
	dirty      map[string]bool      // keys waiting in order, or to be re-queued at Done
	processing map[string]bool      // keys handed out and not Done yet
	failures   map[string]int       // per-key failures since the last Forget
	delayed    map[string]time.Time // keys waiting for a moment, with that moment
	shutdown   bool

	wake chan struct{} // tells the delay loop that delayed changed
	stop chan struct{} // closed by ShutDown
	done chan struct{} // closed when the delay loop returned
}

// NewQueue returns a running queue. A nil clock is the wall clock; a zero
// backoff is DefaultKeyBackoff.
func NewQueue(clock Clock, backoff Backoff) *Queue {
	q := &Queue{
		clock:      orReal(clock),
		backoff:    backoff.orDefault(DefaultKeyBackoff),
		dirty:      map[string]bool{},
		processing: map[string]bool{},
		failures:   map[string]int{},
		delayed:    map[string]time.Time{},
		wake:       make(chan struct{}, 1),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
	}
	q.cond = sync.NewCond(&q.mu)
	go q.delayLoop()
	return q
}

// Add queues key unless it is queued already; a key being processed is
// queued again when its worker calls Done.
func (q *Queue) Add(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.addLocked(key)
}

func (q *Queue) addLocked(key string) {
	if q.shutdown || q.dirty[key] {
		return
	}
	q.dirty[key] = true
	if q.processing[key] {
		return
	}
	q.order = append(q.order, key)
	q.cond.Signal()
}

// Get blocks until a key is ready and hands it out; the caller must call
// Done(key) when finished. shutdown is true once the queue is shut down
// and every queued key was handed out.
func (q *Queue) Get() (key string, shutdown bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	for len(q.order) == 0 && !q.shutdown {
		q.cond.Wait()
	}
	if len(q.order) == 0 {
		return "", true
	}
	key, q.order = q.order[0], q.order[1:]
	q.processing[key] = true
	delete(q.dirty, key)
	return key, false
}

// Done marks key as processed; if it was added while being processed it
// is queued again now.
func (q *Queue) Done(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.processing, key)
	if q.dirty[key] {
		q.order = append(q.order, key)
		q.cond.Signal()
	}
}

// AddAfter queues key once d has passed (at once when d <= 0). Of two
// pending delays for one key, the earlier wins.
func (q *Queue) AddAfter(key string, d time.Duration) {
	if d <= 0 {
		q.Add(key)
		return
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.shutdown {
		return
	}
	at := q.clock.Now().Add(d)
	if cur, ok := q.delayed[key]; ok && !at.Before(cur) {
		return
	}
	q.delayed[key] = at
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// AddRateLimited queues key after its backoff: Base after its first
// failure, doubling with each further one up to Max, until Forget.
func (q *Queue) AddRateLimited(key string) {
	q.mu.Lock()
	n := q.failures[key]
	q.failures[key] = n + 1
	q.mu.Unlock()
	q.AddAfter(key, q.backoff.Delay(n))
}

// Forget clears key's failures, so its next AddRateLimited waits Base.
func (q *Queue) Forget(key string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	delete(q.failures, key)
}

// NumRequeues is how many times key was AddRateLimited since its last
// Forget.
func (q *Queue) NumRequeues(key string) int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.failures[key]
}

// Len is how many keys are ready for Get.
func (q *Queue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.order)
}

// ShutDown stops the queue: adds are ignored from now on, delayed keys
// are dropped, and Get returns shutdown once the ready keys are handed
// out. It waits for the delay loop to end and may be called twice.
func (q *Queue) ShutDown() {
	q.mu.Lock()
	if !q.shutdown {
		q.shutdown = true
		close(q.stop)
		q.cond.Broadcast()
	}
	q.mu.Unlock()
	<-q.done
}

// ShuttingDown reports whether ShutDown was called.
func (q *Queue) ShuttingDown() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.shutdown
}

// delayLoop moves delayed keys to the ready list when their moment comes.
// It scans the delayed set on each wake, which is cheap for the few
// hundred keys a controller holds and keeps the bookkeeping obvious.
func (q *Queue) delayLoop() {
	defer close(q.done)
	for {
		q.mu.Lock()
		now := q.clock.Now()
		var next time.Time
		for key, at := range q.delayed {
			if !at.After(now) {
				delete(q.delayed, key)
				q.addLocked(key)
			} else if next.IsZero() || at.Before(next) {
				next = at
			}
		}
		q.mu.Unlock()
		var timer <-chan time.Time
		if !next.IsZero() {
			timer = q.clock.Until(next)
		}
		select {
		case <-q.stop:
			return
		case <-q.wake:
		case <-timer:
		}
	}
}
