package applicationautoscaling

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	aas "github.com/wharfhq/wharf/api/applicationautoscalingtypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// RegisterScalableTarget registers an ECS service's desired count as a
// scalable target, or updates a registered one: what the request leaves
// out keeps its value. New bounds that exclude the current desired count
// bring it within them, as an activity.
func (a *API) RegisterScalableTarget(ctx context.Context, in *aas.RegisterScalableTargetRequest) (*aas.RegisterScalableTargetResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	resourceID := awsapi.Deref(in.ResourceId)
	cluster, service, err := checkTarget(in.ServiceNamespace, in.ScalableDimension, resourceID)
	if err != nil {
		return nil, err
	}
	if in.MinCapacity != nil && *in.MinCapacity < 0 || in.MaxCapacity != nil && *in.MaxCapacity < 0 {
		return nil, errValidation("Minimum and maximum capacity must be 0 or more.")
	}
	if err := checkTags(in.Tags, 0); err != nil {
		return nil, err
	}
	now := a.Now().UTC()
	var out aas.RegisterScalableTargetResponse
	var pending []string
	_, err = a.DB.Update(ctx, func(tx store.Tx) error {
		svc, ok, err := store.Get[model.ServiceRecord](tx, state.ServiceKey(sc, cluster, service))
		if err != nil {
			return err
		}
		if !ok || awsapi.Deref(svc.Service.Status) != model.ServiceActive {
			return errValidation("ECS service doesn't exist: %s", resourceID)
		}
		key := targetKey(sc, resourceID)
		t, exists, err := store.Get[targetRecord](tx, key)
		if err != nil {
			return err
		}
		if !exists {
			if in.MinCapacity == nil || in.MaxCapacity == nil {
				return errValidation("MinCapacity and MaxCapacity are required for registering a new scalable target.")
			}
			t = targetRecord{Account: sc.Account, Region: sc.Region, ResourceID: resourceID, ID: hexID(36), Created: now,
				RoleARN: defaultRoleARN(sc.Account), Tags: in.Tags}
		} else if len(in.Tags) > 0 {
			return errValidation("Tags can only be set when a scalable target is created; use TagResource to tag an existing one.")
		}
		oldMin, oldMax := t.Min, t.Max
		if in.MinCapacity != nil {
			t.Min = *in.MinCapacity
		}
		if in.MaxCapacity != nil {
			t.Max = *in.MaxCapacity
		}
		if t.Min > t.Max {
			return errValidation("Minimum capacity cannot be greater than maximum capacity")
		}
		if in.RoleARN != nil {
			t.RoleARN = *in.RoleARN
		}
		if s := in.SuspendedState; s != nil {
			if s.DynamicScalingInSuspended != nil {
				t.Suspended.In = *s.DynamicScalingInSuspended
			}
			if s.DynamicScalingOutSuspended != nil {
				t.Suspended.Out = *s.DynamicScalingOutSuspended
			}
			if s.ScheduledScalingSuspended != nil {
				t.Suspended.Scheduled = *s.ScheduledScalingSuspended
			}
		}
		if exists && (t.Min != oldMin || t.Max != oldMax) || !exists {
			k, err := boundsActivity(tx, &t, svc.Service.DesiredCount, now)
			if err != nil {
				return err
			}
			if k != "" {
				pending = append(pending, k)
			}
		}
		out.ScalableTargetARN = new(t.arn())
		return store.Put(tx, key, t)
	})
	if err != nil {
		return nil, wrap("RegisterScalableTarget", err)
	}
	if err := a.applyAll(ctx, pending); err != nil {
		a.Log.Warn("bringing a service within its new bounds failed; the scheduled scaling pass retries", "resource", resourceID, "err", err)
	}
	return &out, nil
}

// boundsActivity brings the desired count within the target's bounds: a
// pending activity when it is outside (its key is returned), nothing when
// it is inside.
func boundsActivity(tx store.Tx, t *targetRecord, desired int32, now time.Time) (string, error) {
	n := clamp(desired, t.Min, t.Max)
	if n == desired {
		return "", nil
	}
	cause := fmt.Sprintf("minimum capacity was set to %d", t.Min)
	if n < desired {
		cause = fmt.Sprintf("maximum capacity was set to %d", t.Max)
	}
	act := scaleActivity(t, now, n, cause)
	return putActivity(tx, &act)
}

// DeregisterScalableTarget deletes a target with its scaling policies (and
// their alarms) and scheduled actions. The service keeps its desired count.
func (a *API) DeregisterScalableTarget(ctx context.Context, in *aas.DeregisterScalableTargetRequest) (*aas.DeregisterScalableTargetResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	resourceID := awsapi.Deref(in.ResourceId)
	if _, _, err := checkTarget(in.ServiceNamespace, in.ScalableDimension, resourceID); err != nil {
		return nil, err
	}
	var alarms []string
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		t, err := getTarget(tx, sc, resourceID)
		if err != nil {
			return err
		}
		for _, p := range t.Policies {
			alarms = append(alarms, p.ownedAlarmsOf(t.ResourceID)...)
		}
		return tx.Delete(targetKey(sc, resourceID))
	})
	if err != nil {
		return nil, wrap("DeregisterScalableTarget", err)
	}
	a.deleteAlarms(ctx, alarms)
	return &aas.DeregisterScalableTargetResponse{}, nil
}

// DescribeScalableTargets answers the registered targets, in resource ID
// order, optionally only those ResourceIds names.
func (a *API) DescribeScalableTargets(ctx context.Context, in *aas.DescribeScalableTargetsRequest) (*aas.DescribeScalableTargetsResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	out := &aas.DescribeScalableTargetsResponse{ScalableTargets: []aas.ScalableTarget{}}
	if in.ServiceNamespace != namespace || in.ScalableDimension != "" && in.ScalableDimension != dimension {
		return out, nil
	}
	c, err := awsapi.ParseCursor("targets", in.NextToken, awsapi.Errorf(codeInvalidNextToken, "Invalid token"))
	if err != nil {
		return nil, err
	}
	items, next, err := awsapi.ViewPage(ctx, a.DB, targetsPrefix(sc), "", c, awsapi.PageLimit(in.MaxResults, 50), func(t *targetRecord) bool {
		return len(in.ResourceIds) == 0 || slices.Contains(in.ResourceIds, t.ResourceID)
	})
	if err != nil {
		return nil, wrap("DescribeScalableTargets", err)
	}
	for _, t := range items {
		out.ScalableTargets = append(out.ScalableTargets, aas.ScalableTarget{
			ServiceNamespace: namespace, ResourceId: new(t.ResourceID), ScalableDimension: dimension,
			MinCapacity: new(t.Min), MaxCapacity: new(t.Max), RoleARN: new(t.RoleARN), CreationTime: shape.TimeOf(t.Created),
			ScalableTargetARN: new(t.arn()),
			SuspendedState: &aas.SuspendedState{DynamicScalingInSuspended: new(t.Suspended.In),
				DynamicScalingOutSuspended: new(t.Suspended.Out), ScheduledScalingSuspended: new(t.Suspended.Scheduled)},
		})
	}
	out.NextToken = next
	return out, nil
}

// Tags: only scalable targets can be tagged, by their ARN.
var tagRules = func() awsapi.TagRules {
	r := awsapi.TagRulesIn(50, func(f string, args ...any) error { return errValidation(f, args...) },
		func(f string, args ...any) error { return awsapi.Errorf(codeTooManyTags, f, args...) })
	return r
}()

func checkTags(tags map[string]string, existing int) error {
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		if err := tagRules.Check(k, tags[k]); err != nil {
			return err
		}
	}
	return tagRules.Count(existing + len(tags))
}

// findByARN finds the target key of a scalable target ARN in the caller's
// scope.
func findByARN(tx store.ReadTx, sc model.Scope, arn string) (string, targetRecord, error) {
	prefix := "arn:aws:application-autoscaling:" + sc.Region + ":" + sc.Account + ":scalable-target/"
	id, ok := strings.CutPrefix(arn, prefix)
	if !ok || id == "" {
		return "", targetRecord{}, errValidation("Invalid ResourceARN: %s is not the ARN of a scalable target in this account and region.", arn)
	}
	ts, err := store.List[targetRecord](tx, targetsPrefix(sc))
	if err != nil {
		return "", targetRecord{}, err
	}
	for _, t := range ts {
		if t.ID == id {
			return targetKey(sc, t.ResourceID), t, nil
		}
	}
	return "", targetRecord{}, awsapi.Errorf(codeResourceNotFound, "Scalable target with ARN %s not found.", arn)
}

// TagResource adds or overwrites tags on a scalable target.
func (a *API) TagResource(ctx context.Context, in *aas.TagResourceRequest) (*aas.TagResourceResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		key, t, err := findByARN(tx, sc, awsapi.Deref(in.ResourceARN))
		if err != nil {
			return err
		}
		merged := maps.Clone(t.Tags)
		if merged == nil {
			merged = map[string]string{}
		}
		maps.Copy(merged, in.Tags)
		if err := checkTags(in.Tags, 0); err != nil {
			return err
		}
		if err := tagRules.Count(len(merged)); err != nil {
			return err
		}
		t.Tags = merged
		return store.Put(tx, key, t)
	})
	if err != nil {
		return nil, wrap("TagResource", err)
	}
	return &aas.TagResourceResponse{}, nil
}

// UntagResource removes tags from a scalable target (absent keys are fine).
func (a *API) UntagResource(ctx context.Context, in *aas.UntagResourceRequest) (*aas.UntagResourceResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		key, t, err := findByARN(tx, sc, awsapi.Deref(in.ResourceARN))
		if err != nil {
			return err
		}
		for _, k := range in.TagKeys {
			delete(t.Tags, k)
		}
		return store.Put(tx, key, t)
	})
	if err != nil {
		return nil, wrap("UntagResource", err)
	}
	return &aas.UntagResourceResponse{}, nil
}

// ListTagsForResource answers a scalable target's tags.
func (a *API) ListTagsForResource(ctx context.Context, in *aas.ListTagsForResourceRequest) (*aas.ListTagsForResourceResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	t, err := awsapi.Read(ctx, a.DB, func(tx store.ReadTx) (targetRecord, error) {
		_, t, err := findByARN(tx, sc, awsapi.Deref(in.ResourceARN))
		return t, err
	})
	if err != nil {
		return nil, wrap("ListTagsForResource", err)
	}
	tags := t.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	return &aas.ListTagsForResourceResponse{Tags: tags}, nil
}
