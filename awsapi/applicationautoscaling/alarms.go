package applicationautoscaling

import (
	"context"
	"fmt"
	"slices"
	"time"

	aas "github.com/wharfhq/wharf/api/applicationautoscalingtypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// notScaledEvery is how often one policy records that it could not scale
// (an alarm that stays in ALARM at max capacity invokes it each minute).
const notScaledEvery = 15 * time.Minute

// HandleAlarm is CloudWatch's call when an alarm whose AlarmActions name a
// scaling policy (by policyARN) changes state, and for step scaling on each
// evaluation while it stays in ALARM, as AWS invokes policies. metricValue
// is the alarm's last evaluated datapoint and threshold its threshold:
// step adjustments are bounds on their difference (the breach), and target
// tracking scales by metricValue against its target. A state other than
// ALARM, or a policy that no longer exists, does nothing.
//
// The decision is recorded (cooldown state and an InProgress activity) in
// one transaction, then the service's desired count is set.
func (a *API) HandleAlarm(ctx context.Context, policyARN, alarmName, alarmState string, metricValue, threshold float64) error {
	if alarmState != "ALARM" {
		return nil
	}
	sc, resourceID, name, err := parsePolicyARN(policyARN)
	if err != nil {
		return err
	}
	cluster, service, err := checkTarget(namespace, dimension, resourceID)
	if err != nil {
		return err
	}
	now := a.Now().UTC()
	var pending string
	_, err = a.DB.Update(ctx, func(tx store.Tx) error {
		key := targetKey(sc, resourceID)
		t, ok, err := store.Get[targetRecord](tx, key)
		if err != nil || !ok {
			return err
		}
		i := slices.IndexFunc(t.Policies, func(p policyRecord) bool { return p.Name == name })
		if i < 0 || policyARN != policyARNOf(sc, resourceID, &t.Policies[i]) {
			return nil // deleted, or deleted and put again since the alarm fired
		}
		svc, ok, err := store.Get[model.ServiceRecord](tx, state.ServiceKey(sc, cluster, service))
		if err != nil || !ok || awsapi.Deref(svc.Service.Status) != model.ServiceActive {
			return err
		}
		p := &t.Policies[i]
		current := svc.Service.DesiredCount
		want, b := a.policyWant(&t, p, resourceID, alarmName, current, metricValue, threshold, now)
		d := decide(current, want, b)
		cause := fmt.Sprintf("monitor alarm %s in state ALARM triggered policy %s", alarmName, name)
		switch {
		case d.Scale:
			if d.Desired > current {
				if p.LastOut.IsZero() || !now.Before(p.LastOut.Add(b.OutCooldown)) {
					p.BaseAtLastOut = current
				}
				p.LastOut = now
			} else {
				p.LastIn = now
			}
			act := scaleActivity(&t, now, d.Desired, cause)
			if pending, err = putActivity(tx, &act); err != nil {
				return err
			}
		case d.NotScaled == notScaledAtMax || d.NotScaled == notScaledAtMin:
			if !p.LastNotScaled.IsZero() && now.Before(p.LastNotScaled.Add(notScaledEvery)) {
				break
			}
			p.LastNotScaled = now
			act := newActivity(&t, now, "Attempting to scale due to alarm triggered", cause)
			act.Status, act.StatusMessage = aas.ScalingActivityStatusCodeFailed, fmt.Sprintf("Failed to set desired count to %d", want)
			act.NotScaled = []aas.NotScaledReason{{Code: new(d.NotScaled), MinCapacity: new(t.Min), MaxCapacity: new(t.Max), CurrentCapacity: new(current)}}
			if _, err := putActivity(tx, &act); err != nil {
				return err
			}
		default:
			a.Log.Debug("policy did not scale", "policy", name, "resource", resourceID, "held", d.Held, "desired", current)
		}
		return store.Put(tx, key, t)
	})
	if err != nil {
		return fmt.Errorf("alarm %s on policy %s: %w", alarmName, policyARN, err)
	}
	return a.apply(ctx, pending)
}

func policyARNOf(sc model.Scope, resourceID string, p *policyRecord) string {
	return policyARN(sc, p.ID, resourceID, p.Name)
}

// policyWant is the capacity a policy asks for on an alarm, and the
// bounds that hold it. A target tracking policy acts only on its own
// alarms: the high one only scales out, the low one only in.
func (a *API) policyWant(t *targetRecord, p *policyRecord, resourceID, alarmName string, current int32, metric, threshold float64, now time.Time) (int32, bounds) {
	b := bounds{Min: t.Min, Max: t.Max, InSuspended: t.Suspended.In, OutSuspended: t.Suspended.Out, Now: now,
		LastOut: p.LastOut, LastIn: p.LastIn, BaseAtLastOut: p.BaseAtLastOut}
	secs := func(v *int32) time.Duration {
		n := int32(defaultCooldown)
		if v != nil {
			n = *v
		}
		return time.Duration(n) * a.Second
	}
	switch p.Type {
	case aas.PolicyTypeTargetTrackingScaling:
		b.DisableScaleIn = awsapi.Deref(p.TT.DisableScaleIn)
		b.OutCooldown, b.InCooldown = secs(p.TT.ScaleOutCooldown), secs(p.TT.ScaleInCooldown)
		switch alarmName {
		case p.alarmHigh(resourceID):
			return targetTrackingWant(current, metric, awsapi.Deref(p.TT.TargetValue), true, b), b
		case p.alarmLow(resourceID):
			return targetTrackingWant(current, metric, awsapi.Deref(p.TT.TargetValue), false, b), b
		}
		return current, b // not one of its alarms
	default:
		b.OutCooldown = secs(p.Step.Cooldown)
		b.InCooldown = b.OutCooldown
		if !slices.Contains(p.StepAlarms, alarmName) {
			p.StepAlarms = append(p.StepAlarms, alarmName)
		}
		want, ok := stepWant(p.Step, current, metric-threshold, b)
		if !ok {
			return current, b
		}
		return want, b
	}
}
