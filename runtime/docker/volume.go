package docker

import (
	"context"
	"fmt"
	"net"
	"net/netip"

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
	// An engine starting for the first time (no docker0 yet, no network
	// store) reports the bridge's subnet but no gateway: the address is
	// then read from the bridge's interface.
	var addrs []net.Addr
	if !hasIPv4Gateway(n.IPAM.Config) {
		name := n.Options[bridgeNameOption]
		if name == "" {
			name = "docker0"
		}
		if ifc, err := net.InterfaceByName(name); err == nil {
			addrs, _ = ifc.Addrs()
		}
	}
	return bridgeGateway(n.IPAM.Config, addrs)
}

// bridgeNameOption is the bridge network option naming its host interface.
const bridgeNameOption = "com.docker.network.bridge.name"

func hasIPv4Gateway(cfgs []network.IPAMConfig) bool {
	for _, c := range cfgs {
		if a, err := netip.ParseAddr(c.Gateway); err == nil && a.Is4() {
			return true
		}
	}
	return false
}

// bridgeGateway is the host's IPv4 address on a bridge network whose IPAM
// configuration is cfgs and whose interface has the addresses ifAddrs (nil
// when the interface is not there, e.g. the engine is on another host): the
// gateway IPAM names; else the interface's IPv4 address (the one in the
// subnet if it has several); else the subnet's first host address, which is what
// Docker gives the bridge (172.17.0.0/16 → 172.17.0.1).
func bridgeGateway(cfgs []network.IPAMConfig, ifAddrs []net.Addr) (string, error) {
	for _, c := range cfgs {
		if a, err := netip.ParseAddr(c.Gateway); err == nil && a.Is4() {
			return a.String(), nil
		}
	}
	var subnet netip.Prefix
	for _, c := range cfgs {
		if p, err := netip.ParsePrefix(c.Subnet); err == nil && p.Addr().Is4() {
			subnet = p.Masked()
			break
		}
	}
	var anyV4 string
	for _, a := range ifAddrs {
		ipn, ok := a.(*net.IPNet)
		if !ok {
			continue
		}
		ip, ok := netip.AddrFromSlice(ipn.IP)
		if !ok || !ip.Unmap().Is4() {
			continue
		}
		ip = ip.Unmap()
		if subnet.IsValid() && subnet.Contains(ip) {
			return ip.String(), nil
		}
		if anyV4 == "" {
			anyV4 = ip.String()
		}
	}
	if anyV4 != "" {
		return anyV4, nil // where the host really is, even off the subnet
	}
	if subnet.IsValid() {
		if first := subnet.Addr().Next(); subnet.Bits() <= 30 && subnet.Contains(first) {
			return first.String(), nil
		}
		return "", fmt.Errorf("docker: the bridge network's subnet %s has no room for a gateway address", subnet)
	}
	return "", fmt.Errorf("docker: the bridge network has no IPv4 gateway or subnet (IPAM config %+v)", cfgs)
}
