package docker

import (
	"context"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/api/types/volume"
)

// VolumeSpec describes a named Docker volume.
type VolumeSpec struct {
	Name       string
	Driver     string // "" = "local"
	DriverOpts map[string]string
	Labels     map[string]string
}

// CreateVolume creates a named volume; creating an existing one is a no-op.
func (r *Runtime) CreateVolume(ctx context.Context, spec VolumeSpec) error {
	_, err := r.cli.VolumeCreate(ctx, volume.CreateOptions{
		Name: spec.Name, Driver: spec.Driver, DriverOpts: spec.DriverOpts, Labels: spec.Labels,
	})
	if err != nil {
		return fmt.Errorf("docker: create volume %s: %w", spec.Name, err)
	}
	return nil
}

// RemoveVolume removes a named volume; it fails while a container uses it.
func (r *Runtime) RemoveVolume(ctx context.Context, name string) error {
	if err := r.cli.VolumeRemove(ctx, name, false); err != nil {
		return fmt.Errorf("docker: remove volume %s: %w", name, err)
	}
	return nil
}

// EnsureNetwork returns the ID of the user-defined bridge network name,
// creating it if it does not exist.
func (r *Runtime) EnsureNetwork(ctx context.Context, name string) (string, error) {
	n, err := r.cli.NetworkInspect(ctx, name, network.InspectOptions{})
	if err == nil {
		return n.ID, nil
	}
	if !IsNotFound(err) {
		return "", fmt.Errorf("docker: inspect network %s: %w", name, err)
	}
	resp, err := r.cli.NetworkCreate(ctx, name, network.CreateOptions{Driver: "bridge"})
	if cerrdefs.IsConflict(err) { // created concurrently
		if n, err2 := r.cli.NetworkInspect(ctx, name, network.InspectOptions{}); err2 == nil {
			return n.ID, nil
		}
	}
	if err != nil {
		return "", fmt.Errorf("docker: create network %s: %w", name, err)
	}
	return resp.ID, nil
}

// BridgeGateway is the host's address on Docker's default bridge network
// ("172.17.0.1" usually): the address every task container can reach the
// host on, whatever its network mode.
func (r *Runtime) BridgeGateway(ctx context.Context) (string, error) {
	n, err := r.cli.NetworkInspect(ctx, "bridge", network.InspectOptions{})
	if err != nil {
		return "", fmt.Errorf("docker: inspect bridge network: %w", err)
	}
	for _, c := range n.IPAM.Config {
		if c.Gateway != "" {
			return c.Gateway, nil
		}
	}
	return "", fmt.Errorf("docker: the bridge network has no gateway address")
}
