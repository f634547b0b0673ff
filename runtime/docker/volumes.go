package docker

import (
	"context"
	"fmt"

	"github.com/docker/docker/api/types/volume"
)

// ListVolumes returns the names of the volumes carrying all the labels in
// labelFilter (an empty value matches any value).
func (r *Runtime) ListVolumes(ctx context.Context, labelFilter map[string]string) ([]string, error) {
	resp, err := r.cli.VolumeList(ctx, volume.ListOptions{Filters: labelArgs(labelFilter)})
	if err != nil {
		return nil, fmt.Errorf("docker: list volumes: %w", err)
	}
	names := make([]string, 0, len(resp.Volumes))
	for _, v := range resp.Volumes {
		names = append(names, v.Name)
	}
	return names, nil
}

// VolumeExists tells whether the named volume exists on the engine.
func (r *Runtime) VolumeExists(ctx context.Context, name string) (bool, error) {
	_, err := r.cli.VolumeInspect(ctx, name)
	switch {
	case err == nil:
		return true, nil
	case IsNotFound(err):
		return false, nil
	}
	return false, fmt.Errorf("docker: inspect volume %s: %w", name, err)
}
