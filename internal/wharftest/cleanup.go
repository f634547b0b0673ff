package wharftest

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/runtime/docker"
)

// removeContainers removes every container this wharf's agent created (they
// carry its node id), so a test leaves no task running behind it.
func (w *Wharf) removeContainers() { RemoveContainers(w.t, w.DataDir) }

// RemoveContainers removes every container that the agent of the wharf
// with this data dir created. Tests that start wharf themselves register
// it with t.Cleanup before they start it (cleanups run last-first, so it
// runs after wharf has stopped).
func RemoveContainers(t testing.TB, dataDir string) {
	b, err := os.ReadFile(filepath.Join(dataDir, "agent", "agent.json"))
	if err != nil {
		return // the agent never started
	}
	var id struct {
		NodeID string `json:"nodeId"`
	}
	if json.Unmarshal(b, &id) != nil || id.NodeID == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rt, err := docker.New(ctx, "")
	if err != nil {
		t.Errorf("clean up containers: %v", err)
		return
	}
	defer rt.Close()
	list, err := rt.ListContainers(ctx, map[string]string{agentproto.NodeAttribute: id.NodeID}, true)
	if err != nil {
		t.Errorf("clean up containers: %v", err)
		return
	}
	for _, c := range list {
		if err := rt.RemoveContainer(ctx, c.ID, true); err != nil && !docker.IsNotFound(err) {
			t.Errorf("clean up containers: %v", err)
		}
	}
}
