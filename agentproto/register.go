package agentproto

import "github.com/wharfhq/wharf/api/ecstypes"

// RegisterPath is the agent's bulk registration endpoint: one call
// registers the node in a batch of clusters of one region, in a few store
// transactions. It is what RegisterContainerInstance is per cluster, for an agent
// that serves thousands of clusters (the embedded agent joins every ACTIVE
// cluster of every region) and must not pay one call, one write and one
// Docker query per cluster on each start.
const RegisterPath = "/_wharf/agent/v1/register"

// MaxRegisterBatch bounds the clusters of one RegisterRequest. The
// control plane writes a request in transactions of fewer clusters
// (state.RegisterTxnClusters), each within etcd's bound of 128 keys; the
// agent's batch stays larger because each call also costs the agent one
// write of its identity file (every instance it holds): 10,000 clusters
// join in 20 calls rather than 84.
const MaxRegisterBatch = 500

// RegisterRequest registers the node as a container instance in each of
// Clusters, all in Region, with the same resources, version and attributes
// (those of RegisterContainerInstance; Cluster and ContainerInstanceArn of
// Instance are ignored, the per-cluster ones come from Clusters).
type RegisterRequest struct {
	NodeID   string                                    `json:"nodeId"`
	Region   string                                    `json:"region"`
	Instance ecstypes.RegisterContainerInstanceRequest `json:"instance"`
	Clusters []RegisterCluster                         `json:"clusters"`
}

// RegisterCluster is one cluster to join.
type RegisterCluster struct {
	ClusterARN string `json:"clusterArn"`
	// ContainerInstanceARN is the instance the node was in this cluster
	// before (kept across restarts); "" to register a new one. When the
	// named instance no longer exists (its cluster was re-created), a new
	// one is registered.
	ContainerInstanceARN string `json:"containerInstanceArn,omitempty"`
}

// RegisterResponse answers each cluster of the request, in its order.
type RegisterResponse struct {
	Results []RegisterResult `json:"results"`
}

// RegisterResult is one cluster's outcome: the instance ARN, or Error (the
// cluster is gone or inactive, …), which fails that cluster only.
type RegisterResult struct {
	ClusterARN           string `json:"clusterArn"`
	ContainerInstanceARN string `json:"containerInstanceArn,omitempty"`
	Error                string `json:"error,omitempty"`
}
