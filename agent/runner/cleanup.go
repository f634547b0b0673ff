package runner

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/wharfhq/wharf/runtime/docker"
)

// Cleanup removes the task's containers (the pause container last) with
// their anonymous volumes, and the task-scoped Docker volumes. The agent
// calls it some time after the task STOPPED; running containers are killed.
// Removing what is already gone is not an error.
func Cleanup(ctx context.Context, rt Runtime, taskARN string) error {
	list, err := rt.ListContainers(ctx, map[string]string{LabelTaskARN: taskARN}, true)
	if err != nil {
		return fmt.Errorf("runner: cleanup %s: %w", taskARN, err)
	}
	sort.SliceStable(list, func(i, j int) bool { // the pause container last
		return list[i].Labels[LabelContainerName] != PauseContainerName && list[j].Labels[LabelContainerName] == PauseContainerName
	})
	var errs []error
	for _, c := range list {
		if err := rt.RemoveContainer(ctx, c.ID, true); err != nil && !docker.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	vols, err := rt.ListVolumes(ctx, map[string]string{LabelTaskARN: taskARN})
	if err != nil {
		errs = append(errs, err)
	}
	for _, name := range vols {
		if err := rt.RemoveVolume(ctx, name); err != nil && !docker.IsNotFound(err) {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("runner: cleanup %s: %w", taskARN, err)
	}
	return nil
}
