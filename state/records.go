package state

import (
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/store"
)

// InstanceRecord is a container instance as stored.
type InstanceRecord struct {
	Instance ecstypes.ContainerInstance `json:"instance"`
	NodeID   string                     `json:"nodeId,omitempty"`
}

// NodeRecord is an agent host's heartbeat.
type NodeRecord struct {
	NodeID   string    `json:"nodeId"`
	LastSeen time.Time `json:"lastSeen"`
}

// TaskDefRecord is one stored task definition revision.
type TaskDefRecord struct {
	TaskDefinition ecstypes.TaskDefinition `json:"taskDefinition"`
	Tags           []ecstypes.Tag          `json:"tags,omitempty"`
}

// FamilyRecord remembers a family's last revision number, which ECS never
// reuses even after revisions are deleted, how many revisions are ACTIVE and
// which is the latest ACTIVE one, so that a reference by family is one read
// however many revisions the family has (see LatestActiveTaskDef).
type FamilyRecord struct {
	Family       string `json:"family"`
	LastRevision int32  `json:"lastRevision"`
	Active       int    `json:"active"`
	// LatestActive is 0 when no revision is ACTIVE, or in a record written
	// before it existed (Active > 0): readers then scan the revisions.
	LatestActive int32 `json:"latestActive,omitempty"`
}

// HeartbeatTimeout is how long after its last poll an agent still counts
// as connected.
const HeartbeatTimeout = 45 * time.Second

// NodeConnected reports whether node's agent polled within HeartbeatTimeout.
func NodeConnected(tx store.ReadTx, node string, now time.Time) (bool, error) {
	if node == "" {
		return false, nil
	}
	n, ok, err := store.Get[NodeRecord](tx, NodeKey(node))
	return ok && now.Sub(n.LastSeen) < HeartbeatTimeout, err
}

// LastSegment is the name or id at the end of an ARN (or ref itself).
func LastSegment(ref string) string { return ref[strings.LastIndexByte(ref, '/')+1:] }
