package model

import (
	"fmt"
	"strconv"
	"strings"
)

// ARN is a parsed Amazon Resource Name.
type ARN struct {
	Partition, Service, Region, Account string
	// Resource is everything after the account, e.g. "cluster/prod".
	Resource string
}

func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// ParseARN splits s; ok is false when s is not an ARN.
func ParseARN(s string) (a ARN, ok bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] == "" || parts[5] == "" {
		return a, false
	}
	return ARN{Partition: parts[1], Service: parts[2], Region: parts[3], Account: parts[4], Resource: parts[5]}, true
}

// Scope is the account and region a resource lives in: each region of each
// account is its own namespace, as in AWS.
type Scope struct {
	Account, Region string
}

// ARN is the ECS ARN of resource ("cluster/NAME", …) in this scope.
func (s Scope) ARN(resource string) string { return s.arn(resource) }

func (s Scope) arn(resource string) string {
	return ARN{Partition: "aws", Service: "ecs", Region: s.Region, Account: s.Account, Resource: resource}.String()
}

// ClusterARN is arn:aws:ecs:REGION:ACCOUNT:cluster/NAME.
func (s Scope) ClusterARN(name string) string { return s.arn("cluster/" + name) }

// TaskDefinitionARN is arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REV.
func (s Scope) TaskDefinitionARN(family string, rev int32) string {
	return s.arn(fmt.Sprintf("task-definition/%s:%d", family, rev))
}

// TaskARN is arn:aws:ecs:REGION:ACCOUNT:task/CLUSTER/ID (the long format).
func (s Scope) TaskARN(cluster, id string) string { return s.arn("task/" + cluster + "/" + id) }

// ServiceARN is arn:aws:ecs:REGION:ACCOUNT:service/CLUSTER/NAME.
func (s Scope) ServiceARN(cluster, name string) string {
	return s.arn("service/" + cluster + "/" + name)
}

// ContainerInstanceARN is arn:aws:ecs:REGION:ACCOUNT:container-instance/CLUSTER/ID.
func (s Scope) ContainerInstanceARN(cluster, id string) string {
	return s.arn("container-instance/" + cluster + "/" + id)
}

// CapacityProviderARN is arn:aws:ecs:REGION:ACCOUNT:capacity-provider/NAME.
func (s Scope) CapacityProviderARN(name string) string { return s.arn("capacity-provider/" + name) }

// RootPrincipal is the account's root user, the default principal of
// account settings.
func (s Scope) RootPrincipal() string { return "arn:aws:iam::" + s.Account + ":root" }

// ClusterName resolves a cluster reference (a name or a cluster ARN) to a
// name; "" means the default cluster.
func ClusterName(ref string) string {
	if ref == "" {
		return DefaultCluster
	}
	if a, ok := ParseARN(ref); ok {
		if name, ok := strings.CutPrefix(a.Resource, "cluster/"); ok {
			return name
		}
	}
	return ref
}

// DefaultCluster is the cluster ECS uses when a call names none.
const DefaultCluster = "default"

// TaskDefRef is a parsed task definition reference: FAMILY, FAMILY:REV or
// the ARN of either. Revision 0 means "the latest ACTIVE revision".
type TaskDefRef struct {
	Family   string
	Revision int32
}

// ParseTaskDefRef parses ref; ok is false when it cannot name a task definition.
func ParseTaskDefRef(ref string) (r TaskDefRef, ok bool) {
	if a, isARN := ParseARN(ref); isARN {
		rest, found := strings.CutPrefix(a.Resource, "task-definition/")
		if !found {
			return r, false
		}
		ref = rest
	}
	family, rev, hasRev := strings.Cut(ref, ":")
	if !ValidName(family) {
		return r, false
	}
	r.Family = family
	if hasRev {
		n, err := strconv.ParseInt(rev, 10, 32)
		if err != nil || n < 1 {
			return r, false
		}
		r.Revision = int32(n)
	}
	return r, true
}

// ValidName reports whether s is a valid cluster, family, service or
// container name: 1 to 255 letters, digits, hyphens and underscores.
func ValidName(s string) bool {
	if len(s) == 0 || len(s) > 255 {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// TaskDefRevisionText returns the text after "FAMILY:" in a task definition
// reference (FAMILY:REV or its ARN), unparsed, and whether the reference has
// a revision part at all. ECS words its refusals after it: "Revision is
// missing." without one, "Invalid revision number. Number: X" for a REV
// that is not a revision number.
func TaskDefRevisionText(ref string) (rev string, has bool) {
	if a, isARN := ParseARN(ref); isARN {
		ref = strings.TrimPrefix(a.Resource, "task-definition/")
	}
	_, rev, has = strings.Cut(ref, ":")
	return rev, has
}

// ValidRevision reports whether rev is a revision number: 1 or more.
func ValidRevision(rev string) bool {
	n, err := strconv.ParseInt(rev, 10, 32)
	return err == nil && n >= 1
}
