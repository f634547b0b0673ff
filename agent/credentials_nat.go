package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"strings"
)

// natChain is the nat-table chain wharf keeps its rules in.
const natChain = "WHARF-CREDENTIALS"

// natRules keeps the host's iptables sending 169.254.170.2:80 to the
// credentials endpoint's front port on the Docker bridge gateway:
//
//	-t nat -A WHARF-CREDENTIALS -d 169.254.170.2/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination GATEWAY:51679
//	-t nat -I PREROUTING 1 -d 169.254.170.2/32 -p tcp -m tcp --dport 80 -j WHARF-CREDENTIALS   (from containers)
//	-t nat -I OUTPUT 1     -d 169.254.170.2/32 -p tcp -m tcp --dport 80 -j WHARF-CREDENTIALS   (host-network tasks)
//
// ensure is idempotent (it checks each rule before adding it, and rewrites
// the chain if it points elsewhere); remove takes the jumps and the chain
// away. Every rule sits in wharf's own chain or jumps to it.
type natRules struct {
	target string // GATEWAY:PORT
	run    func(ctx context.Context, args ...string) error
}

func newNAT(gateway string) *natRules {
	return &natRules{target: net.JoinHostPort(gateway, strconv.Itoa(credentialsFrontPort)), run: iptablesNAT}
}

// iptablesNAT runs iptables on the nat table, waiting for its lock.
func iptablesNAT(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, "iptables", append([]string{"-w", "5", "-t", "nat"}, args...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("iptables -t nat %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

func credentialsMatch() []string {
	return []string{"-d", credentialsIP + "/32", "-p", "tcp", "-m", "tcp", "--dport", "80"}
}

func (n *natRules) dnat() []string {
	return append(credentialsMatch(), "-j", "DNAT", "--to-destination", n.target)
}

func jump() []string { return append(credentialsMatch(), "-j", natChain) }

var natHooks = []string{"PREROUTING", "OUTPUT"}

// ensure puts the rules in place.
func (n *natRules) ensure(ctx context.Context) error {
	if n.run(ctx, "-L", natChain, "-n") != nil {
		if err := n.run(ctx, "-N", natChain); err != nil && n.run(ctx, "-L", natChain, "-n") != nil {
			return err // not made by another agent meanwhile either
		}
	}
	if n.run(ctx, slices.Concat([]string{"-C", natChain}, n.dnat())...) != nil {
		if err := n.run(ctx, "-F", natChain); err != nil {
			return err
		}
		if err := n.run(ctx, slices.Concat([]string{"-A", natChain}, n.dnat())...); err != nil {
			return err
		}
	}
	for _, hook := range natHooks {
		if n.run(ctx, slices.Concat([]string{"-C", hook}, jump())...) != nil {
			if err := n.run(ctx, slices.Concat([]string{"-I", hook, "1"}, jump())...); err != nil {
				return err
			}
		}
	}
	return nil
}

// remove takes the jumps (every copy) and the chain away.
func (n *natRules) remove(ctx context.Context) error {
	for _, hook := range natHooks {
		for range 10 {
			if n.run(ctx, slices.Concat([]string{"-D", hook}, jump())...) != nil {
				break
			}
		}
	}
	if n.run(ctx, "-L", natChain, "-n") != nil {
		return nil
	}
	return errors.Join(n.run(ctx, "-F", natChain), n.run(ctx, "-X", natChain))
}
