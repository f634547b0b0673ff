package agent

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
)

// reporter sends task statuses to the control plane. Runners hand it their
// latest status and never wait: it keeps only the newest per task (the
// control plane's state only moves forward, so the newest says it all) and
// retries until the control plane has it.
type reporter struct {
	cl   *client
	log  *slog.Logger
	mu   sync.Mutex
	next map[string]agentproto.TaskStatus
	wake chan struct{}
}

func newReporter(cl *client, log *slog.Logger) *reporter {
	return &reporter{cl: cl, log: log, next: map[string]agentproto.TaskStatus{}, wake: make(chan struct{}, 1)}
}

// put queues st, replacing any unsent status of the same task.
func (r *reporter) put(st agentproto.TaskStatus) {
	r.mu.Lock()
	r.next[st.TaskARN] = st
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *reporter) run(ctx context.Context) {
	backoff := 200 * time.Millisecond
	for {
		select {
		case <-ctx.Done():
			return
		case <-r.wake:
		}
		for {
			r.mu.Lock()
			batch := r.next
			r.next = map[string]agentproto.TaskStatus{}
			r.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			failed := false
			for arn, st := range batch {
				if err := r.send(ctx, st); err != nil {
					if ctx.Err() != nil {
						return
					}
					r.log.Warn("agent: report task state failed; will retry", "task", arn, "err", err)
					r.requeue(st)
					failed = true
				}
			}
			if !failed {
				backoff = 200 * time.Millisecond
				continue
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 5*time.Second)
		}
	}
}

// requeue puts st back unless a newer status arrived meanwhile.
func (r *reporter) requeue(st agentproto.TaskStatus) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, newer := r.next[st.TaskARN]; !newer {
		r.next[st.TaskARN] = st
	}
}

func (r *reporter) send(ctx context.Context, st agentproto.TaskStatus) error {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	return r.cl.callECS(ctx, regionOf(st.TaskARN), "SubmitTaskStateChange", stateChange(st), nil)
}

// stateChange is st as SubmitTaskStateChange: the ECS members any reader
// understands, and the full status in wharf's member.
func stateChange(st agentproto.TaskStatus) agentproto.TaskStateChange {
	in := ecstypes.SubmitTaskStateChangeRequest{
		Cluster: new(st.ClusterARN), Task: new(st.TaskARN), Status: new(st.LastStatus),
		PullStartedAt: ts(st.PullStartedAt), PullStoppedAt: ts(st.PullStoppedAt), ExecutionStoppedAt: ts(st.ExecutionStoppedAt),
	}
	if st.StoppedReason != "" {
		in.Reason = new(st.StoppedReason)
	}
	for _, c := range st.Containers {
		in.Containers = append(in.Containers, ecstypes.ContainerStateChange{ContainerName: c.Name, RuntimeId: c.RuntimeId,
			ImageDigest: c.ImageDigest, Status: c.LastStatus, ExitCode: c.ExitCode, Reason: c.Reason, NetworkBindings: c.NetworkBindings})
	}
	return agentproto.TaskStateChange{SubmitTaskStateChangeRequest: in, Wharf: &st}
}

func ts(t time.Time) shape.Timestamp {
	if t.IsZero() {
		return shape.Timestamp{}
	}
	return shape.TimeOf(t)
}
