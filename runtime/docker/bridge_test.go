package docker

import (
	"context"
	"net"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/network"
)

// These tests need no engine.

func TestBridgeGateway(t *testing.T) {
	ipNet := func(cidr string) net.Addr {
		ip, n, err := net.ParseCIDR(cidr)
		if err != nil {
			t.Fatal(err)
		}
		n.IP = ip
		return n
	}
	tests := []struct {
		name    string
		cfgs    []network.IPAMConfig
		ifAddrs []net.Addr
		want    string
		wantErr string
	}{
		{"gateway present", []network.IPAMConfig{{Subnet: "172.17.0.0/16", Gateway: "172.17.0.1"}},
			[]net.Addr{ipNet("172.17.9.9/16")}, "172.17.0.1", ""},
		{"IPv4 gateway after an IPv6 one", []network.IPAMConfig{{Subnet: "fd00::/64", Gateway: "fd00::1"}, {Subnet: "10.9.0.0/24", Gateway: "10.9.0.254"}},
			nil, "10.9.0.254", ""},
		{"no gateway, interface up", []network.IPAMConfig{{Subnet: "172.18.0.0/16"}},
			[]net.Addr{ipNet("fe80::42:acff:fe11:1/64"), ipNet("172.18.0.7/16")}, "172.18.0.7", ""},
		{"no gateway, interface with several addresses", []network.IPAMConfig{{Subnet: "172.18.0.0/16"}},
			[]net.Addr{ipNet("192.168.5.1/24"), ipNet("172.18.0.1/16")}, "172.18.0.1", ""},
		{"no gateway, interface off the subnet", []network.IPAMConfig{{Subnet: "172.18.0.0/16"}},
			[]net.Addr{ipNet("192.168.5.1/24")}, "192.168.5.1", ""},
		{"no gateway, no interface: the subnet's first host", []network.IPAMConfig{{Subnet: "172.17.0.0/16"}},
			nil, "172.17.0.1", ""},
		{"no gateway, unmasked subnet", []network.IPAMConfig{{Subnet: "10.1.2.77/24"}},
			nil, "10.1.2.1", ""},
		{"no gateway, interface without IPv4", []network.IPAMConfig{{Subnet: "172.17.0.0/16"}},
			[]net.Addr{ipNet("fe80::1/64")}, "172.17.0.1", ""},
		{"garbage gateway, good subnet", []network.IPAMConfig{{Subnet: "172.17.0.0/16", Gateway: "gateway"}},
			nil, "172.17.0.1", ""},
		{"IPv6 only", []network.IPAMConfig{{Subnet: "fd00::/64", Gateway: "fd00::1"}},
			[]net.Addr{ipNet("fd00::1/64")}, "", "no IPv4 gateway or subnet"},
		{"garbage", []network.IPAMConfig{{Subnet: "not-a-subnet", Gateway: "not-an-ip"}},
			nil, "", "no IPv4 gateway or subnet"},
		{"nothing at all", nil, nil, "", "no IPv4 gateway or subnet"},
		{"subnet too small", []network.IPAMConfig{{Subnet: "10.0.0.4/31"}},
			nil, "", "no room for a gateway"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := bridgeGateway(tc.cfgs, tc.ifAddrs)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %q, %v; want an error saying %q", got, err, tc.wantErr)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q, %v; want %s", got, err, tc.want)
			}
		})
	}
}

// TestBridgeGatewayEngine checks the live engine's answer against its
// bridge interface, the address the agent listens on.
func TestBridgeGatewayEngine(t *testing.T) {
	rt := testRuntime(t)
	gw, err := rt.BridgeGateway(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(gw, "0"))
	if err != nil {
		t.Fatalf("the bridge gateway %s is not an address of this host: %v", gw, err)
	}
	_ = ln.Close()
}
