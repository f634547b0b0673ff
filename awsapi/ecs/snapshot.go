package ecs

import (
	"encoding/json"

	"github.com/wharfhq/wharf/api/ecstypes"
)

// snapshot is a comparable image of a task, to tell whether a report
// changed anything (and so whether to bump its version and write).
func snapshot(t *ecstypes.Task) string {
	b, _ := json.Marshal(t)
	return string(b)
}

func containerSnapshot(c ecstypes.Container) string {
	b, _ := json.Marshal(c)
	return string(b)
}
