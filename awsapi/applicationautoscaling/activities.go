package applicationautoscaling

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	aas "github.com/wharfhq/wharf/api/applicationautoscalingtypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// activityRecord is one scaling activity. One that changes the desired
// count is written InProgress with Desired set (and a pending marker)
// before the service is touched, and marked Successful after.
type activityRecord struct {
	Account       string                        `json:"account"`
	Region        string                        `json:"region"`
	ResourceID    string                        `json:"resourceId"`
	ID            string                        `json:"id"`
	Description   string                        `json:"description"`
	Cause         string                        `json:"cause"`
	Start         time.Time                     `json:"start"`
	End           time.Time                     `json:"end,omitzero"`
	Status        aas.ScalingActivityStatusCode `json:"status"`
	StatusMessage string                        `json:"statusMessage,omitempty"`
	// Desired is the desired count to set (nil: the activity changes no
	// count, as new bounds that already hold it).
	Desired   *int32                `json:"desired,omitempty"`
	NotScaled []aas.NotScaledReason `json:"notScaled,omitempty"`
}

// activityKey sorts a target's activities newest first.
func activityKey(sc model.Scope, resourceID string, start time.Time, id string) string {
	return fmt.Sprintf("%s%019d-%s", activitiesPrefix(sc, resourceID), math.MaxInt64-start.UnixNano(), id)
}

// newActivity is an activity of the target starting now.
func newActivity(t *targetRecord, now time.Time, description, cause string) activityRecord {
	return activityRecord{Account: t.Account, Region: t.Region, ResourceID: t.ResourceID, ID: awsapi.NewUUID(),
		Description: description, Cause: cause, Start: now, Status: aas.ScalingActivityStatusCodeSuccessful}
}

// putActivity writes an activity. One with a desired count to set is
// written InProgress with a pending marker, which apply clears; it
// overrides any older activity of the target still pending (marked
// Overridden, as AWS says), so that a stale decision never lands after a
// newer one.
func putActivity(tx store.Tx, act *activityRecord) (key string, err error) {
	sc := model.Scope{Account: act.Account, Region: act.Region}
	key = activityKey(sc, act.ResourceID, act.Start, act.ID)
	if act.Desired != nil {
		older, err := tx.List(pendingPrefix+activitiesPrefix(sc, act.ResourceID), "", 0)
		if err != nil {
			return "", err
		}
		for _, kv := range older {
			k := strings.TrimPrefix(kv.Key, pendingPrefix)
			if prev, ok, err := store.Get[activityRecord](tx, k); err != nil {
				return "", err
			} else if ok {
				prev.Status, prev.End = aas.ScalingActivityStatusCodeOverridden, act.Start
				prev.StatusMessage = "Overridden by a newer scaling activity."
				if err := store.Put(tx, k, prev); err != nil {
					return "", err
				}
			}
			if err := tx.Delete(kv.Key); err != nil {
				return "", err
			}
		}
		act.Status = aas.ScalingActivityStatusCodeInProgress
		act.StatusMessage = ""
		if err := tx.Put(pendingPrefix+key, []byte("{}")); err != nil {
			return "", err
		}
	} else if act.End.IsZero() {
		act.End = act.Start
	}
	return key, store.Put(tx, key, act)
}

// scaleActivity is the activity that sets the desired count to n.
func scaleActivity(t *targetRecord, now time.Time, n int32, cause string) activityRecord {
	act := newActivity(t, now, fmt.Sprintf("Setting desired count to %d.", n), cause)
	act.Desired = &n
	return act
}

// apply carries out a pending activity in one transaction with the
// service: the desiredCount is written (state.UpdateService; the service
// scheduler follows), the activity marked done and its pending marker
// cleared together. An activity no longer pending (done, or overridden by
// a newer one) changes nothing, so applying twice or late is harmless;
// so does no activity (key "": the pass that ran scaled nothing).
func (a *API) apply(ctx context.Context, key string) error {
	if key == "" {
		return nil
	}
	act, err := awsapi.Read(ctx, a.DB, func(tx store.ReadTx) (activityRecord, error) {
		act, _, err := store.Get[activityRecord](tx, key)
		return act, err
	})
	if err != nil {
		return fmt.Errorf("read activity %s: %w", key, err)
	}
	if act.Desired == nil {
		_, err = a.DB.Update(ctx, func(tx store.Tx) error { return tx.Delete(pendingPrefix + key) })
		return err
	}
	sc := model.Scope{Account: act.Account, Region: act.Region}
	cluster, service, err := checkTarget(namespace, dimension, act.ResourceID)
	if err != nil {
		return err
	}
	n := *act.Desired
	// finish marks the activity done (or failed) and clears its marker;
	// false when it was no longer pending.
	finish := func(tx store.Tx, ok bool) (bool, error) {
		if _, pending, err := tx.Get(pendingPrefix + key); err != nil || !pending {
			return false, err
		}
		cur, _, err := store.Get[activityRecord](tx, key)
		if err != nil {
			return false, err
		}
		cur.End = a.Now().UTC()
		cur.Status = aas.ScalingActivityStatusCodeSuccessful
		cur.StatusMessage = fmt.Sprintf("Successfully set desired count to %d. Change successfully fulfilled by ecs.", n)
		if !ok {
			cur.Status = aas.ScalingActivityStatusCodeFailed
			cur.StatusMessage = fmt.Sprintf("Failed to set desired count to %d. ECS service doesn't exist: %s", n, act.ResourceID)
		}
		if err := store.Put(tx, key, cur); err != nil {
			return false, err
		}
		return true, tx.Delete(pendingPrefix + key)
	}
	applied, seen := false, false
	err = state.UpdateService(ctx, a.DB, state.ServiceKey(sc, cluster, service), func(tx store.Tx, _ model.Scope, _ string, rec *model.ServiceRecord) error {
		seen = true
		active := awsapi.Deref(rec.Service.Status) == model.ServiceActive
		done, err := finish(tx, active)
		if done && active {
			rec.Service.DesiredCount, applied = n, true
		}
		return err
	})
	if err == nil && !seen { // no such service: UpdateService did not call back
		_, err = a.DB.Update(ctx, func(tx store.Tx) error { _, err := finish(tx, false); return err })
	}
	if err != nil {
		return fmt.Errorf("set desired count of %s to %d: %w", act.ResourceID, n, err)
	}
	if applied {
		a.Log.Info("scaled", "resource", act.ResourceID, "desiredCount", n, "cause", act.Cause)
	}
	return nil
}

// applyAll applies the pending activities keys names, and reports the
// first failure (the rest are still tried; a failed one stays pending).
func (a *API) applyAll(ctx context.Context, keys []string) error {
	var first error
	for _, k := range keys {
		if err := a.apply(ctx, k); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// finishPending applies every activity a crash left InProgress.
func (a *API) finishPending(ctx context.Context) error {
	keys, err := awsapi.Read(ctx, a.DB, func(tx store.ReadTx) ([]string, error) {
		kvs, err := tx.List(pendingPrefix, "", 0)
		keys := make([]string, 0, len(kvs))
		for _, kv := range kvs {
			keys = append(keys, strings.TrimPrefix(kv.Key, pendingPrefix))
		}
		return keys, err
	})
	if err != nil {
		return fmt.Errorf("list pending scaling activities: %w", err)
	}
	return a.applyAll(ctx, keys)
}

// DescribeScalingActivities answers a target's activities (or every
// target's), newest first, from the last six weeks. Activities that changed
// nothing come only with IncludeNotScaledActivities.
func (a *API) DescribeScalingActivities(ctx context.Context, in *aas.DescribeScalingActivitiesRequest) (*aas.DescribeScalingActivitiesResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	if in.ServiceNamespace != namespace {
		return &aas.DescribeScalingActivitiesResponse{ScalingActivities: []aas.ScalingActivity{}}, nil
	}
	prefix := "aas/activities/" + sc.Account + "/" + sc.Region + "/ecs/"
	if in.ResourceId != nil {
		if _, _, err := checkTarget(in.ServiceNamespace, in.ScalableDimension, *in.ResourceId); err != nil {
			return nil, err
		}
		prefix = activitiesPrefix(sc, *in.ResourceId)
	}
	c, err := awsapi.ParseCursor("activities", in.NextToken, awsapi.Errorf(codeInvalidNextToken, "Invalid token"))
	if err != nil {
		return nil, err
	}
	limit := awsapi.PageLimit(in.MaxResults, 50)
	cutoff := a.Now().Add(-activityTTL)
	withNotScaled := awsapi.Deref(in.IncludeNotScaledActivities)
	items, next, err := awsapi.ViewPage(ctx, a.DB, prefix, "", c, limit, func(r *activityRecord) bool {
		return r.Start.After(cutoff) && (withNotScaled || len(r.NotScaled) == 0)
	})
	if err != nil {
		return nil, wrap("DescribeScalingActivities", err)
	}
	out := &aas.DescribeScalingActivitiesResponse{ScalingActivities: make([]aas.ScalingActivity, 0, len(items)), NextToken: next}
	for _, r := range items {
		act := aas.ScalingActivity{ActivityId: new(r.ID), ServiceNamespace: namespace, ResourceId: new(r.ResourceID),
			ScalableDimension: dimension, Description: new(r.Description), Cause: new(r.Cause),
			StartTime: shape.TimeOf(r.Start), StatusCode: r.Status, NotScaledReasons: r.NotScaled}
		if !r.End.IsZero() {
			act.EndTime = shape.TimeOf(r.End)
		}
		if r.StatusMessage != "" {
			act.StatusMessage = new(r.StatusMessage)
		}
		out.ScalingActivities = append(out.ScalingActivities, act)
	}
	return out, nil
}

// pruneActivities deletes activities older than six weeks, but never one
// whose count is still to be set (its scaling would be lost). They go at
// most store.DeleteBatch a transaction (a backend bounds the keys one
// writes; a busy target piles up thousands), each batch re-reading its
// records; a pass stopped half way leaves the rest for the next.
func (a *API) pruneActivities(ctx context.Context) error {
	cutoff := a.Now().Add(-activityTTL)
	return store.DeleteWhere(ctx, a.DB, "aas/activities/", func(act activityRecord) bool {
		return act.Start.Before(cutoff) && (act.Desired == nil || !act.End.IsZero())
	})
}
