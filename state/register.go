package state

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// Container instance registration, one cluster at a time
// (RegisterContainerInstance) or in bulk (agentproto.RegisterPath): the
// embedded agent joins every ACTIVE cluster of every region, and on each
// start re-registers in all of them. Per cluster that would be one
// fsynced transaction each — thousands on a restart — so the agent sends
// batches of one region's clusters instead, each written in one
// few transactions small enough for etcd's bound (RegisterTxnClusters). A cluster that cannot be joined (gone, INACTIVE) fails
// alone; the rest of its batch is still written.

// ErrClusterNotFound is a cluster that does not exist or is not ACTIVE.
var ErrClusterNotFound = errors.New("cluster not found")

// instanceActive is a registered container instance's status.
const instanceActive = "ACTIVE"

// RequireCluster fails with ErrClusterNotFound unless cluster name is
// ACTIVE.
func RequireCluster(tx store.ReadTx, sc model.Scope, name string) error {
	c, ok, err := store.Get[ecstypes.Cluster](tx, ClusterKey(sc, name))
	if err != nil {
		return err
	}
	if !ok || shape.Deref(c.Status) != "ACTIVE" {
		return fmt.Errorf("%w: %s", ErrClusterNotFound, name)
	}
	return nil
}

// NodeOf is the agent node an instance's attributes name ("" for none).
func NodeOf(attrs []ecstypes.Attribute) string {
	node := ""
	for _, at := range attrs {
		if shape.Deref(at.Name) == agentproto.NodeAttribute {
			node = shape.Deref(at.Value)
		}
	}
	return node
}

// RegisterResult is one cluster of a bulk registration: the instance's
// ARN, or why that cluster refused it (ErrClusterNotFound or an
// *InvalidError).
type RegisterResult struct {
	ClusterARN           string
	ContainerInstanceARN string
	Err                  error
}

// RegisterTxnClusters is the most clusters RegisterBulk registers in one
// transaction. Registering writes the node's heartbeat once and one
// instance record per cluster (TestRegisterBulkKeys counts them), so 120
// clusters write at most 121 keys: under etcd's default bound of 128 keys
// per transaction, with room for a key more per transaction should
// registration grow one.
const RegisterTxnClusters = 120

// RegisterBulk registers node's instance in each of clusters (all in
// region), and notes the node alive. The caller has validated in. It
// writes RegisterTxnClusters clusters a transaction, the transactions
// side by side so that the store commits them together (one fsync, as
// one transaction did before the bound). A transaction that fails fails
// its clusters alone (their results' Err, not a refusal) while the
// others keep their instances, so the agent learns the instances that
// exist and tries the rest again, never registering a second instance
// in a cluster; only when every transaction fails is the call an error.
func RegisterBulk(ctx context.Context, db store.Backend, node, region string, in ecstypes.RegisterContainerInstanceRequest, clusters []agentproto.RegisterCluster, now time.Time) ([]RegisterResult, error) {
	var chunks [][]agentproto.RegisterCluster
	for c := range slices.Chunk(clusters, RegisterTxnClusters) {
		chunks = append(chunks, c)
	}
	results := make([][]RegisterResult, len(chunks))
	errs := make([]error, len(chunks))
	var wg sync.WaitGroup
	for i, c := range chunks {
		wg.Go(func() { results[i], errs[i] = registerBatch(ctx, db, node, region, in, c, now) })
	}
	wg.Wait()
	out := make([]RegisterResult, 0, len(clusters))
	failed := 0
	for i, c := range chunks {
		if errs[i] == nil {
			out = append(out, results[i]...)
			continue
		}
		failed++
		for _, cl := range c {
			out = append(out, RegisterResult{ClusterARN: cl.ClusterARN, Err: fmt.Errorf("not registered: %w", errs[i])})
		}
	}
	if failed > 0 && failed == len(chunks) {
		return nil, errs[0]
	}
	return out, nil
}

// registerBatch is one transaction of RegisterBulk.
func registerBatch(ctx context.Context, db store.Backend, node, region string, in ecstypes.RegisterContainerInstanceRequest, clusters []agentproto.RegisterCluster, now time.Time) ([]RegisterResult, error) {
	var results []RegisterResult
	_, err := db.Update(ctx, func(tx store.Tx) error {
		results = results[:0]
		if err := NoteAlive(tx, node, now); err != nil {
			return err
		}
		for _, c := range clusters {
			res := RegisterResult{ClusterARN: c.ClusterARN}
			arn, err := registerOne(tx, node, region, in, c, now)
			switch {
			case refusal(err):
				res.Err = err
			case err != nil:
				return fmt.Errorf("register %s in %s: %w", node, c.ClusterARN, err)
			default:
				res.ContainerInstanceARN = arn
			}
			results = append(results, res)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return results, nil
}

// refusal tells a cluster's answer to the request from a store failure.
func refusal(err error) bool {
	var inv *InvalidError
	return errors.Is(err, ErrClusterNotFound) || errors.As(err, &inv)
}

// registerOne is one cluster of a bulk registration: the cluster must be
// ACTIVE (unlike RegisterContainerInstance, the default cluster is not
// created here), and a previous instance that no longer exists is replaced
// by a new one, as the agent would do after a refusal.
func registerOne(tx store.Tx, node, region string, in ecstypes.RegisterContainerInstanceRequest, c agentproto.RegisterCluster, now time.Time) (string, error) {
	ca, ok := model.ParseARN(c.ClusterARN)
	name, isCluster := strings.CutPrefix(ca.Resource, "cluster/")
	if !ok || !isCluster || ca.Service != "ecs" {
		return "", &InvalidError{fmt.Sprintf("%q is not a cluster ARN.", c.ClusterARN)}
	}
	if ca.Region != region {
		return "", &InvalidError{fmt.Sprintf("cluster %s is not in region %s.", c.ClusterARN, region)}
	}
	sc := model.Scope{Account: ca.Account, Region: ca.Region}
	if err := RequireCluster(tx, sc, name); err != nil {
		return "", err
	}
	in.Cluster = new(name)
	in.ContainerInstanceArn = nil
	if prev := c.ContainerInstanceARN; prev != "" && sc.ContainerInstanceARN(name, LastSegment(prev)) == prev {
		_, found, err := tx.Get(InstanceKey(sc, name, LastSegment(prev)))
		if err != nil {
			return "", err
		}
		if found {
			in.ContainerInstanceArn = new(prev)
		}
	}
	ci, err := RegisterInstance(tx, sc, name, &in, node, now)
	if err != nil {
		return "", err
	}
	return *ci.ContainerInstanceArn, nil
}

// RegisterInstance writes the container instance in of cluster name
// (whose existence the caller checked): a new one or, when
// in.ContainerInstanceArn is set, the same one again, keeping its
// registration time and, unless in has tags, its tags. One key written.
// An ARN that is not registered in the cluster is an *InvalidError.
func RegisterInstance(tx store.Tx, sc model.Scope, name string, in *ecstypes.RegisterContainerInstanceRequest, node string, now time.Time) (ecstypes.ContainerInstance, error) {
	id := NewID()
	var prev InstanceRecord
	if arn := shape.Deref(in.ContainerInstanceArn); arn != "" {
		id = LastSegment(arn)
		var ok bool
		var err error
		prev, ok, err = store.Get[InstanceRecord](tx, InstanceKey(sc, name, id))
		if err != nil {
			return ecstypes.ContainerInstance{}, err
		}
		if !ok || sc.ContainerInstanceARN(name, id) != arn {
			return ecstypes.ContainerInstance{}, &InvalidError{fmt.Sprintf("containerInstanceArn %s is not registered in cluster %s.", arn, name)}
		}
	}
	ci := ecstypes.ContainerInstance{
		ContainerInstanceArn: new(sc.ContainerInstanceARN(name, id)),
		Ec2InstanceId:        new("i-" + id[:17]),
		Version:              prev.Instance.Version + 1,
		VersionInfo:          in.VersionInfo,
		RegisteredResources:  in.TotalResources,
		Status:               new(instanceActive),
		AgentConnected:       node != "",
		Attributes:           shape.OrEmpty(in.Attributes),
		RegisteredAt:         shape.TimeOf(now),
		Tags:                 shape.OrEmpty(in.Tags),
		Attachments:          []ecstypes.Attachment{},
	}
	if prev.Instance.ContainerInstanceArn != nil {
		ci.RegisteredAt = prev.Instance.RegisteredAt
		if len(in.Tags) == 0 {
			ci.Tags = prev.Instance.Tags
		}
	}
	return ci, store.Put(tx, InstanceKey(sc, name, id), InstanceRecord{Instance: ci, NodeID: node})
}
