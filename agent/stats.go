package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
)

// statsEvery is how often the agent samples its tasks' cgroup counters
// and reports them, as the ECS agent samples about every 20 seconds; the
// control plane publishes a metric a minute from the latest rates.
const statsEvery = 20 * time.Second

// statsInterval is statsEvery, shortened by the test hook that speeds up
// metric time (WHARF_METRICS_TIME_SCALE, see package metrics).
func statsInterval() time.Duration {
	if s, err := strconv.ParseFloat(os.Getenv("WHARF_METRICS_TIME_SCALE"), 64); err == nil && s > 1 {
		return max(time.Duration(float64(statsEvery)/s), 200*time.Millisecond)
	}
	return statsEvery
}

// reportStats samples and reports until ctx ends; a failed report is
// logged and the next one goes on (usage is a gauge: nothing to resend).
func (a *Agent) reportStats(ctx context.Context) {
	t := time.NewTicker(statsInterval())
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		rep := agentproto.StatsReport{NodeID: a.id.NodeID, Tasks: a.sampleTasks(ctx)}
		if len(rep.Tasks) == 0 {
			continue
		}
		if err := a.cl.postStats(ctx, rep); err != nil && ctx.Err() == nil {
			a.cfg.Log.Debug("agent: stats report failed", "err", err)
		}
	}
}

// sampleTasks reads the counters of every running task's containers.
func (a *Agent) sampleTasks(ctx context.Context) []agentproto.TaskUsage {
	a.mu.Lock()
	arns := make([]string, 0, len(a.tasks))
	for arn, tr := range a.tasks {
		if tr.r != nil {
			arns = append(arns, arn)
		}
	}
	a.mu.Unlock()
	var out []agentproto.TaskUsage
	for _, arn := range arns {
		st, _, ok := a.lookup(arn)
		if !ok || st.LastStatus != model.TaskRunning {
			continue
		}
		u := agentproto.TaskUsage{TaskARN: arn, SampledAt: time.Now()}
		for _, c := range st.Containers {
			if c.RuntimeId == nil || shape.Deref(c.LastStatus) != "RUNNING" {
				continue
			}
			s, err := a.cfg.Runtime.Stats(ctx, *c.RuntimeId)
			if err != nil {
				continue
			}
			mem := workingSet(s.MemoryUsage, s.Raw)
			u.CPUNanos += s.CPUUsage
			u.MemoryBytes += mem
			u.Containers++
			u.PerContainer = append(u.PerContainer, agentproto.ContainerUsage{Name: shape.Deref(c.Name), CPUNanos: s.CPUUsage, MemoryBytes: mem})
		}
		if u.Containers > 0 {
			out = append(out, u)
		}
	}
	return out
}

func (c *client) postStats(ctx context.Context, rep agentproto.StatsReport) error {
	body, _ := json.Marshal(rep)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+agentproto.StatsPath, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("stats: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("stats: %s: %s", resp.Status, bytes.TrimSpace(b))
	}
	return nil
}

// workingSet is the memory a container uses as the ECS agent counts it:
// the cgroup's usage less its page cache (cache on cgroup v1,
// inactive_file on v2), which the kernel reclaims under pressure.
func workingSet(usage uint64, raw json.RawMessage) uint64 {
	var doc struct {
		MemoryStats struct {
			Stats map[string]uint64 `json:"stats"`
		} `json:"memory_stats"`
	}
	if json.Unmarshal(raw, &doc) != nil {
		return usage
	}
	cache, ok := doc.MemoryStats.Stats["inactive_file"]
	if !ok {
		cache = doc.MemoryStats.Stats["cache"]
	}
	if cache > usage {
		return usage
	}
	return usage - cache
}
