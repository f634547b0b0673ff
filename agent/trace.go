package agent

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/wharfhq/wharf/agent/runner"
	"github.com/wharfhq/wharf/runtime/docker"
)

// TraceFunc receives the moments of a task's way to RUNNING on this host:
// when the agent first saw the task ("seen"), when its container's create
// and start were asked for, let through the start bound and answered
// ("create.queued", "create.called", "create.done", and the same for
// start), when the start's inspect answered ("inspect.done"), when its
// runner published RUNNING ("running.put") and when the control plane
// acknowledged it ("running.sent"). It is called from many goroutines and
// must be quick.
type TraceFunc func(taskARN, event string, at time.Time)

// tracer is the TraceFunc set by SetTrace, if any. It is process-wide, not
// per agent, because it serves benchmarks of an in-process wharf
// (e2e BenchmarkTaskBurst), which cannot reach the agent inside it; when
// unset, tracing costs one atomic load per point.
var tracer atomic.Pointer[TraceFunc]

// SetTrace makes f receive every agent's task timeline until the returned
// function is called. For benchmarks and tests; nil turns tracing off.
func SetTrace(f TraceFunc) (restore func()) {
	var p *TraceFunc
	if f != nil {
		p = &f
	}
	old := tracer.Swap(p)
	return func() { tracer.Store(old) }
}

// trace passes one moment to the tracer, if one is set.
func trace(taskARN, event string) {
	if f := tracer.Load(); f != nil && taskARN != "" {
		(*f)(taskARN, event, time.Now())
	}
}

// tracing reports whether a tracer is set.
func tracing() bool { return tracer.Load() != nil }

// traceIDs maps container ids to their task's ARN while tracing, since
// start and inspect name only the container.
type traceIDs struct{ m sync.Map }

func (t *traceIDs) note(spec docker.ContainerSpec, id string) {
	if tracing() && id != "" {
		t.m.Store(id, spec.Labels[runner.LabelTaskARN])
	}
}

func (t *traceIDs) trace(id, event string) {
	if !tracing() {
		return
	}
	if arn, ok := t.m.Load(id); ok {
		trace(arn.(string), event)
	}
}
