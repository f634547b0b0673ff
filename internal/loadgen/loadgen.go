// Package loadgen is the bounded HTTP load that tests use to prove a
// change of targets or tasks loses no request: a few workers GET one URL
// until stopped, counting what succeeded and what failed. It imports only
// the standard library, so that any test package may use it.
package loadgen

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Load is a running load; OK and Failed count its requests.
type Load struct {
	OK, Failed atomic.Int64
	firstErr   atomic.Value
	stop       chan struct{}
	once       sync.Once
	wg         sync.WaitGroup
}

// Start starts workers goroutines, each sending at most perWorker GETs
// of url back to back, each bounded by timeout.
func Start(url string, workers, perWorker int, timeout time.Duration) *Load {
	l := &Load{stop: make(chan struct{})}
	for range workers {
		l.wg.Go(func() {
			client := &http.Client{Timeout: timeout}
			for range perWorker {
				select {
				case <-l.stop:
					return
				default:
				}
				if err := Get(client, url); err != nil {
					l.Failed.Add(1)
					l.firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				l.OK.Add(1)
			}
		})
	}
	return l
}

// Stop stops the workers and waits for their last requests; calling it
// again is harmless.
func (l *Load) Stop() {
	l.once.Do(func() { close(l.stop) })
	l.wg.Wait()
}

// FirstErr is the first failure's text, nil when none failed.
func (l *Load) FirstErr() any { return l.firstErr.Load() }

// Get GETs url with c and reads the body through: an answer other than
// 200 is an error too.
func Get(c *http.Client, url string) error {
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	return nil
}

// Result is one request's outcome: its status and body, or its error.
type Result struct {
	Status int
	Body   string
	Err    error
}

// GetAsync sends one GET of url in the background (a request that is to
// stay in flight while a test changes the targets under it); its Result
// arrives on the channel.
func GetAsync(url string) <-chan Result {
	out := make(chan Result, 1)
	go func() {
		resp, err := http.Get(url)
		if err != nil {
			out <- Result{Err: err}
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		out <- Result{Status: resp.StatusCode, Body: string(body)}
	}()
	return out
}
