package scheduler

import (
	"fmt"
	"sort"
	"strings"
)

// Explanation says why a task could not be placed: how many instances each
// filter turned away, and which instance came closest.
type Explanation struct {
	Instances  int           // instances considered
	Rejections []ReasonCount // in filter order
	// ClosestID and ClosestARN name the instance that passed the most
	// filters (the first such instance on a tie); empty when the cluster
	// has no instances. ClosestReason is why it failed.
	ClosestID     string
	ClosestARN    string
	ClosestReason string
}

// ReasonCount is how many instances failed with one reason.
type ReasonCount struct {
	Reason    string
	Instances int
}

func explain(nodes []*node, verdicts []verdict) *Explanation {
	e := &Explanation{Instances: len(nodes)}
	counts := map[verdict]int{} // verdicts of failing nodes, by filter and reason
	best := -1
	for i, v := range verdicts {
		if v.reason == "" {
			continue
		}
		counts[v]++
		if best < 0 || v.depth > verdicts[best].depth {
			best = i
		}
	}
	keys := make([]verdict, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].depth != keys[j].depth {
			return keys[i].depth < keys[j].depth
		}
		return keys[i].reason < keys[j].reason
	})
	for _, k := range keys {
		e.Rejections = append(e.Rejections, ReasonCount{Reason: k.reason, Instances: counts[k]})
	}
	if best >= 0 {
		e.ClosestID = nodes[best].inst.ID
		e.ClosestARN = nodes[best].inst.ARN
		e.ClosestReason = verdicts[best].reason
	}
	return e
}

// Summary counts the rejections in swarmkit's style, for logs and
// DescribeServices events: "2 instances DRAINING; 1 instance with
// insufficient memory".
func (e *Explanation) Summary() string {
	if e.Instances == 0 {
		return "no container instances in the cluster"
	}
	parts := make([]string, 0, len(e.Rejections))
	for _, r := range e.Rejections {
		noun := "instances"
		if r.Instances == 1 {
			noun = "instance"
		}
		parts = append(parts, fmt.Sprintf("%d %s %s", r.Instances, noun, summaryPhrase(r.Reason)))
	}
	return strings.Join(parts, "; ")
}

func summaryPhrase(reason string) string {
	switch reason {
	case ReasonCPU:
		return "with insufficient CPU"
	case ReasonMemory:
		return "with insufficient memory"
	case ReasonPorts:
		return "with a required TCP host port in use"
	case ReasonPortsUDP:
		return "with a required UDP host port in use"
	case ReasonAgent:
		return "with the agent disconnected"
	case ReasonAttribute:
		return "missing a required attribute"
	case ReasonDistinctInstance:
		return "already running a task of the group (distinctInstance)"
	case ReasonMemberOf:
		return "not matching a memberOf constraint"
	case ReasonMissing:
		return "not found"
	}
	return reason // a status: DRAINING, INACTIVE, …
}

// NoInstancesReason is ECS's wording when a cluster has no container
// instances at all (RunTask answers it as an InvalidParameterException).
const NoInstancesReason = "No Container Instances were found in your cluster."

// Event is the service event text in ECS's wording; the service scheduler
// prefixes "service NAME was ":
//
//	unable to place a task because no container instance met all of its
//	requirements. The closest matching container-instance 4b8f… has
//	insufficient memory available.
func (e *Explanation) Event() string {
	const head = "unable to place a task because no container instance met all of its requirements."
	if e.ClosestID == "" {
		return head + " Reason: " + NoInstancesReason
	}
	return fmt.Sprintf("%s The closest matching container-instance %s %s.", head, e.ClosestID, eventPhrase(e.ClosestReason))
}

func eventPhrase(reason string) string {
	switch reason {
	case ReasonCPU:
		return "has insufficient CPU units available"
	case ReasonMemory:
		return "has insufficient memory available"
	case ReasonPorts, ReasonPortsUDP:
		return "is already using a port required by your task"
	case ReasonAttribute:
		return "is missing an attribute required by your task"
	}
	return fmt.Sprintf("encountered error %q", reason)
}
