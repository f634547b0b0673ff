package ecs

import (
	"context"
	"slices"
	"strings"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// UpdateContainerInstancesState sets instances ACTIVE or DRAINING. The
// service scheduler replaces the tasks of draining instances elsewhere,
// within the services' deployment bounds, as ECS does.
func (a *API) UpdateContainerInstancesState(ctx context.Context, in *ecstypes.UpdateContainerInstancesStateRequest) (*ecstypes.UpdateContainerInstancesStateResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	cluster := model.ClusterName(derefStr(in.Cluster))
	if in.Status != ecstypes.ContainerInstanceStatusActive && in.Status != ecstypes.ContainerInstanceStatusDraining {
		return nil, invalidParam("status must be ACTIVE or DRAINING, got %s.", in.Status)
	}
	if len(in.ContainerInstances) > 10 {
		return nil, invalidParam("containerInstances can have at most 10 entries, got %d.", len(in.ContainerInstances))
	}
	out := &ecstypes.UpdateContainerInstancesStateResponse{ContainerInstances: []ecstypes.ContainerInstance{}, Failures: []ecstypes.Failure{}}
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		if err := requireCluster(tx, sc, cluster); err != nil {
			return err
		}
		for _, ref := range in.ContainerInstances {
			rec, ok, err := findInstance(tx, sc, cluster, ref)
			if err != nil {
				return err
			}
			if !ok || derefStr(rec.Instance.Status) == instanceInactive {
				out.Failures = append(out.Failures, ecstypes.Failure{Arn: new(sc.ContainerInstanceARN(cluster, instanceID(ref))), Reason: new("MISSING")})
				continue
			}
			if derefStr(rec.Instance.Status) != string(in.Status) {
				rec.Instance.Status = new(string(in.Status))
				rec.Instance.Version++
				if err := store.Put(tx, state.InstanceKey(sc, cluster, instanceID(ref)), rec); err != nil {
					return err
				}
			}
			ci, err := a.presentInstance(tx, sc, cluster, rec)
			if err != nil {
				return err
			}
			out.ContainerInstances = append(out.ContainerInstances, ci)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// validAttribute applies ECS's rules to a custom attribute: a name of up to
// 128 letters, numbers, hyphens, underscores, slashes, periods, at signs
// and colons, and a value of up to 128 such characters (or spaces).
func validAttribute(at ecstypes.Attribute) error {
	name, value := derefStr(at.Name), derefStr(at.Value)
	ok := func(s string, space bool) bool {
		for _, c := range s {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_/.@:", c) || space && c == ' ') {
				return false
			}
		}
		return true
	}
	if name == "" || len(name) > 128 || !ok(name, false) {
		return invalidParam("Invalid attribute name %q: up to 128 letters, numbers, hyphens, underscores, slashes, periods, at signs and colons.", name)
	}
	if len(value) > 128 || !ok(value, true) {
		return invalidParam("Invalid value for attribute %s: up to 128 letters, numbers, spaces, hyphens, underscores, slashes, periods, at signs and colons.", name)
	}
	if at.TargetType != "" && at.TargetType != ecstypes.TargetTypeContainerInstance {
		return invalidParam("targetType must be container-instance, got %s.", at.TargetType)
	}
	return nil
}

// changeAttributes edits attributes on the container instances they target.
func (a *API) changeAttributes(ctx context.Context, clusterRef string, attrs []ecstypes.Attribute, put bool) ([]ecstypes.Attribute, error) {
	sc := awsapi.ScopeOf(ctx)
	cluster := model.ClusterName(clusterRef)
	if len(attrs) == 0 || len(attrs) > 10 {
		return nil, invalidParam("attributes must have between 1 and 10 entries, got %d.", len(attrs))
	}
	for _, at := range attrs {
		if err := validAttribute(at); err != nil {
			return nil, err
		}
		if derefStr(at.TargetId) == "" {
			return nil, invalidParam("targetId is required: the container instance the attribute %s belongs to.", derefStr(at.Name))
		}
	}
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		if err := requireCluster(tx, sc, cluster); err != nil {
			return err
		}
		for _, at := range attrs {
			id := instanceID(derefStr(at.TargetId))
			rec, ok, err := findInstance(tx, sc, cluster, id)
			if err != nil {
				return err
			}
			if !ok {
				return awsapi.Errorf("TargetNotFoundException", "Could not find container instance %s in cluster %s.", derefStr(at.TargetId), cluster)
			}
			ci := &rec.Instance
			ci.Attributes = slices.DeleteFunc(ci.Attributes, func(x ecstypes.Attribute) bool { return derefStr(x.Name) == derefStr(at.Name) })
			if put {
				ci.Attributes = append(ci.Attributes, ecstypes.Attribute{Name: at.Name, Value: at.Value})
			}
			if err := store.Put(tx, state.InstanceKey(sc, cluster, id), rec); err != nil {
				return err
			}
		}
		return nil
	})
	return attrs, err
}

// PutAttributes creates or updates custom attributes of container instances.
func (a *API) PutAttributes(ctx context.Context, in *ecstypes.PutAttributesRequest) (*ecstypes.PutAttributesResponse, error) {
	out, err := a.changeAttributes(ctx, derefStr(in.Cluster), in.Attributes, true)
	if err != nil {
		return nil, err
	}
	return &ecstypes.PutAttributesResponse{Attributes: out}, nil
}

// DeleteAttributes removes custom attributes from container instances.
func (a *API) DeleteAttributes(ctx context.Context, in *ecstypes.DeleteAttributesRequest) (*ecstypes.DeleteAttributesResponse, error) {
	out, err := a.changeAttributes(ctx, derefStr(in.Cluster), in.Attributes, false)
	if err != nil {
		return nil, err
	}
	return &ecstypes.DeleteAttributesResponse{Attributes: out}, nil
}

// ListAttributes lists the attributes of a cluster's container instances,
// by name and value when given.
func (a *API) ListAttributes(ctx context.Context, in *ecstypes.ListAttributesRequest) (*ecstypes.ListAttributesResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	cluster := model.ClusterName(derefStr(in.Cluster))
	if in.TargetType != ecstypes.TargetTypeContainerInstance {
		return nil, invalidParam("targetType must be container-instance.")
	}
	c, size, err := openPage("attributes", in.NextToken, in.MaxResults, 100, 100)
	if err != nil {
		return nil, err
	}
	// Attributes are parts of the instance records, several to a record,
	// so the page is cut from the cluster's list of them.
	var all []ecstypes.Attribute
	err = a.DB.View(ctx, func(tx store.ReadTx) error {
		if err := requireCluster(tx, sc, cluster); err != nil {
			return err
		}
		recs, err := store.List[state.InstanceRecord](tx, state.InstancesPrefix(sc, cluster))
		for _, r := range recs {
			for _, at := range r.Instance.Attributes {
				if in.AttributeName != nil && derefStr(at.Name) != *in.AttributeName || in.AttributeValue != nil && derefStr(at.Value) != *in.AttributeValue {
					continue
				}
				all = append(all, ecstypes.Attribute{Name: at.Name, Value: at.Value, TargetType: ecstypes.TargetTypeContainerInstance, TargetId: r.Instance.ContainerInstanceArn})
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	key := func(at ecstypes.Attribute) string { return derefStr(at.TargetId) + "\x00" + derefStr(at.Name) }
	items, next := awsapi.SlicePage(all, key, c, size)
	return &ecstypes.ListAttributesResponse{Attributes: awsapi.OrEmpty(items), NextToken: next}, nil
}
