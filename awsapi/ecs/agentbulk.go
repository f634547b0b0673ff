package ecs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// Bulk registration (agentproto.RegisterPath): the embedded agent joins
// every ACTIVE cluster of every region, and on each start re-registers in
// all of them. Per cluster through RegisterContainerInstance that is one
// HTTP call and one fsynced transaction each — thousands on a restart —
// so the agent sends batches of one region's clusters instead, each
// written in one transaction. A cluster that cannot be joined (gone,
// INACTIVE) fails alone; the rest of its batch is still written.

// RegisterHandler serves agentproto.RegisterPath.
func (a *API) RegisterHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req agentproto.RegisterRequest
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<20)).Decode(&req); err != nil {
			http.Error(w, "register needs a JSON body: "+err.Error(), http.StatusBadRequest)
			return
		}
		resp, err := a.registerBulk(r.Context(), req)
		var apiErr *awsapi.Error
		switch {
		case errors.As(err, &apiErr):
			http.Error(w, apiErr.Message, http.StatusBadRequest)
			return
		case err != nil:
			if r.Context().Err() == nil {
				a.Log.Error("agent bulk registration failed", "node", req.NodeID, "err", err)
				http.Error(w, "register failed", http.StatusInternalServerError)
			}
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(resp)
	})
}

// registerBulk registers req's node in each of req's clusters in one
// transaction.
func (a *API) registerBulk(ctx context.Context, req agentproto.RegisterRequest) (*agentproto.RegisterResponse, error) {
	if req.NodeID == "" {
		return nil, invalidParam("nodeId is required.")
	}
	if len(req.Clusters) > agentproto.MaxRegisterBatch {
		return nil, invalidParam("clusters can have at most %d entries, got %d.", agentproto.MaxRegisterBatch, len(req.Clusters))
	}
	in := req.Instance
	if node := nodeOf(in.Attributes); node != req.NodeID {
		return nil, invalidParam("attribute %s is %q, want the nodeId %q.", agentproto.NodeAttribute, node, req.NodeID)
	}
	cpu, mem := state.ResourceInt(in.TotalResources, "CPU"), state.ResourceInt(in.TotalResources, "MEMORY")
	if cpu <= 0 || mem <= 0 {
		return nil, invalidParam("totalResources must include CPU and MEMORY (INTEGER) greater than 0.")
	}
	resp := &agentproto.RegisterResponse{}
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		resp.Results = resp.Results[:0] // Update may retry the function
		if err := store.Put(tx, state.NodeKey(req.NodeID), state.NodeRecord{NodeID: req.NodeID, LastSeen: a.Now()}); err != nil {
			return err
		}
		for _, c := range req.Clusters {
			res := agentproto.RegisterResult{ClusterARN: c.ClusterARN}
			arn, err := a.registerOneTx(tx, req, c)
			var apiErr *awsapi.Error
			switch {
			case errors.As(err, &apiErr):
				res.Error = apiErr.Code + ": " + apiErr.Message
			case err != nil:
				return fmt.Errorf("register %s in %s: %w", req.NodeID, c.ClusterARN, err)
			default:
				res.ContainerInstanceARN = arn
			}
			resp.Results = append(resp.Results, res)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return resp, nil
}

// registerOneTx is one cluster of a bulk registration: the cluster must be
// ACTIVE (unlike RegisterContainerInstance, the default cluster is not
// created here), and a previous instance that no longer exists is replaced
// by a new one, as the agent would do after a refusal.
func (a *API) registerOneTx(tx store.Tx, req agentproto.RegisterRequest, c agentproto.RegisterCluster) (string, error) {
	ca, ok := model.ParseARN(c.ClusterARN)
	name, isCluster := strings.CutPrefix(ca.Resource, "cluster/")
	if !ok || !isCluster || ca.Service != "ecs" {
		return "", invalidParam("%q is not a cluster ARN.", c.ClusterARN)
	}
	if ca.Region != req.Region {
		return "", invalidParam("cluster %s is not in region %s.", c.ClusterARN, req.Region)
	}
	sc := model.Scope{Account: ca.Account, Region: ca.Region}
	if err := requireCluster(tx, sc, name); err != nil {
		return "", err
	}
	in := req.Instance
	in.Cluster = new(name)
	in.ContainerInstanceArn = nil
	if prev := c.ContainerInstanceARN; prev != "" && sc.ContainerInstanceARN(name, instanceID(prev)) == prev {
		_, found, err := findInstance(tx, sc, name, prev)
		if err != nil {
			return "", err
		}
		if found {
			in.ContainerInstanceArn = new(prev)
		}
	}
	ci, err := a.registerInstanceTx(tx, sc, name, &in, req.NodeID)
	if err != nil {
		return "", err
	}
	return *ci.ContainerInstanceArn, nil
}

// registerInstanceTx writes the container instance in of cluster name
// (whose existence the caller checked), a new one or, when
// in.ContainerInstanceArn is set, the same one again.
func (a *API) registerInstanceTx(tx store.Tx, sc model.Scope, name string, in *ecstypes.RegisterContainerInstanceRequest, node string) (ecstypes.ContainerInstance, error) {
	id := state.NewID()
	var prev state.InstanceRecord
	if arn := derefStr(in.ContainerInstanceArn); arn != "" {
		id = instanceID(arn)
		var ok bool
		var err error
		prev, ok, err = store.Get[state.InstanceRecord](tx, state.InstanceKey(sc, name, id))
		if err != nil {
			return ecstypes.ContainerInstance{}, err
		}
		if !ok || sc.ContainerInstanceARN(name, id) != arn {
			return ecstypes.ContainerInstance{}, invalidParam("containerInstanceArn %s is not registered in cluster %s.", arn, name)
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
		Attributes:           awsapi.OrEmpty(in.Attributes),
		RegisteredAt:         shape.TimeOf(a.Now()),
		Tags:                 awsapi.OrEmpty(in.Tags),
		Attachments:          []ecstypes.Attachment{},
	}
	if prev.Instance.ContainerInstanceArn != nil {
		ci.RegisteredAt = prev.Instance.RegisteredAt
		if len(in.Tags) == 0 {
			ci.Tags = prev.Instance.Tags
		}
	}
	return ci, store.Put(tx, state.InstanceKey(sc, name, id), state.InstanceRecord{Instance: ci, NodeID: node})
}

// nodeOf is the agent node an instance's attributes name ("" for none).
func nodeOf(attrs []ecstypes.Attribute) string {
	node := ""
	for _, at := range attrs {
		if derefStr(at.Name) == agentproto.NodeAttribute {
			node = derefStr(at.Value)
		}
	}
	return node
}
