package applicationautoscaling

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	aas "github.com/wharfhq/wharf/api/applicationautoscalingtypes"
	cw "github.com/wharfhq/wharf/api/cloudwatchtypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// policyRecord is one scaling policy, inside its target's record.
type policyRecord struct {
	Name    string                                        `json:"name"`
	ID      string                                        `json:"id"`
	Type    aas.PolicyType                                `json:"type"`
	Step    *aas.StepScalingPolicyConfiguration           `json:"step,omitempty"`
	TT      *aas.TargetTrackingScalingPolicyConfiguration `json:"targetTracking,omitempty"`
	Created time.Time                                     `json:"created"`
	// AlarmID is the UUID in the names of a target tracking policy's
	// alarms; it stays with the policy across updates.
	AlarmID string `json:"alarmId,omitempty"`
	// StepAlarms are the alarms seen invoking a step policy.
	StepAlarms []string `json:"stepAlarms,omitempty"`
	// Cooldown state: when the policy last scaled out and in, and the
	// capacity its last scale-out started from.
	LastOut       time.Time `json:"lastOut,omitzero"`
	LastIn        time.Time `json:"lastIn,omitzero"`
	BaseAtLastOut int32     `json:"baseAtLastOut,omitempty"`
	// LastNotScaled is when a not-scaled activity was last recorded.
	LastNotScaled time.Time `json:"lastNotScaled,omitzero"`
}

// alarmHigh and alarmLow are the names of a target tracking policy's
// alarms, as AWS names them.
func (p *policyRecord) alarmHigh(resourceID string) string {
	return "TargetTracking-" + resourceID + "-AlarmHigh-" + p.AlarmID
}
func (p *policyRecord) alarmLow(resourceID string) string {
	return "TargetTracking-" + resourceID + "-AlarmLow-" + p.AlarmID
}

// ownedAlarms are the alarms the policy created (target tracking only);
// without scale-in it has no low alarm.
func (p *policyRecord) ownedAlarmsOf(resourceID string) []string {
	if p.Type != aas.PolicyTypeTargetTrackingScaling || p.TT == nil {
		return nil
	}
	names := []string{p.alarmHigh(resourceID)}
	if !awsapi.Deref(p.TT.DisableScaleIn) {
		names = append(names, p.alarmLow(resourceID))
	}
	return names
}

func alarmARN(sc model.Scope, name string) string {
	return "arn:aws:cloudwatch:" + sc.Region + ":" + sc.Account + ":alarm:" + name
}

// PutScalingPolicy creates or replaces a target's scaling policy. A target
// tracking policy creates (or updates) its high and low alarms.
func (a *API) PutScalingPolicy(ctx context.Context, in *aas.PutScalingPolicyRequest) (*aas.PutScalingPolicyResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	resourceID, name := awsapi.Deref(in.ResourceId), awsapi.Deref(in.PolicyName)
	cluster, service, err := checkTarget(in.ServiceNamespace, in.ScalableDimension, resourceID)
	if err != nil {
		return nil, err
	}
	typ := in.PolicyType
	if typ == "" {
		typ = aas.PolicyTypeStepScaling
	}
	switch typ {
	case aas.PolicyTypeStepScaling:
		if err := checkStep(in.StepScalingPolicyConfiguration); err != nil {
			return nil, err
		}
	case aas.PolicyTypeTargetTrackingScaling:
		if err := checkTargetTracking(in.TargetTrackingScalingPolicyConfiguration); err != nil {
			return nil, err
		}
	default:
		return nil, errValidation("wharf serves StepScaling and TargetTrackingScaling policies, not %s.", typ)
	}
	now := a.Now().UTC()
	var p policyRecord
	var stale []string
	_, err = a.DB.Update(ctx, func(tx store.Tx) error {
		t, err := getTarget(tx, sc, resourceID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(t.Policies, func(p policyRecord) bool { return p.Name == name })
		if i < 0 {
			if len(t.Policies) >= maxPolicies {
				return awsapi.Errorf(codeLimitExceeded, "A scalable target can have at most %d scaling policies.", maxPolicies)
			}
			t.Policies = append(t.Policies, policyRecord{Name: name, ID: awsapi.NewUUID(), Created: now})
			i = len(t.Policies) - 1
		}
		old := t.Policies[i]
		p = old
		p.Type, p.Step, p.TT = typ, nil, nil
		if typ == aas.PolicyTypeStepScaling {
			p.Step = in.StepScalingPolicyConfiguration
		} else {
			p.TT = in.TargetTrackingScalingPolicyConfiguration
			if p.AlarmID == "" {
				p.AlarmID = awsapi.NewUUID()
			}
		}
		for _, n := range old.ownedAlarmsOf(resourceID) {
			if !slices.Contains(p.ownedAlarmsOf(resourceID), n) {
				stale = append(stale, n)
			}
		}
		t.Policies[i] = p
		return store.Put(tx, targetKey(sc, resourceID), t)
	})
	if err != nil {
		return nil, wrap("PutScalingPolicy", err)
	}
	arn := policyARN(sc, p.ID, resourceID, name)
	out := &aas.PutScalingPolicyResponse{PolicyARN: new(arn), Alarms: []aas.Alarm{}}
	if p.Type == aas.PolicyTypeTargetTrackingScaling {
		for _, al := range targetTrackingAlarms(sc, cluster, service, resourceID, arn, &p) {
			if a.Alarms != nil {
				if err := a.Alarms.PutMetricAlarm(ctx, al); err != nil {
					return nil, wrap("PutScalingPolicy", fmt.Errorf("put alarm %s: %w", *al.AlarmName, err))
				}
			}
			out.Alarms = append(out.Alarms, aas.Alarm{AlarmName: al.AlarmName, AlarmARN: new(alarmARN(sc, *al.AlarmName))})
		}
	}
	a.deleteAlarms(ctx, stale)
	return out, nil
}

// deleteAlarms deletes alarms a policy no longer owns; a failure is
// logged, as the policy change itself stands.
func (a *API) deleteAlarms(ctx context.Context, names []string) {
	if a.Alarms == nil || len(names) == 0 {
		return
	}
	if err := a.Alarms.DeleteAlarms(ctx, names); err != nil {
		a.Log.Warn("deleting target tracking alarms failed", "alarms", names, "err", err)
	}
}

// targetTrackingAlarms are the alarms AWS creates for a target tracking
// policy: the high alarm fires after 3 one-minute datapoints above the
// target, the low alarm after 15 below 90% of it (none with
// DisableScaleIn). Both invoke the policy.
func targetTrackingAlarms(sc model.Scope, cluster, service, resourceID, policyARN string, p *policyRecord) []*cw.PutMetricAlarmInput {
	target := awsapi.Deref(p.TT.TargetValue)
	base := func(name string, periods int32, threshold float64, op cw.ComparisonOperator) *cw.PutMetricAlarmInput {
		in := &cw.PutMetricAlarmInput{
			AlarmName:        new(name),
			AlarmDescription: new("DO NOT EDIT OR DELETE. For TargetTrackingScaling policy " + policyARN + "."),
			ActionsEnabled:   new(true), AlarmActions: []string{policyARN},
			EvaluationPeriods: new(periods), DatapointsToAlarm: new(periods),
			Threshold: new(threshold), ComparisonOperator: op,
		}
		metricOf(in, cluster, service, p.TT)
		return in
	}
	alarms := []*cw.PutMetricAlarmInput{base(p.alarmHigh(resourceID), 3, target, cw.ComparisonOperatorGreaterThanThreshold)}
	if !awsapi.Deref(p.TT.DisableScaleIn) {
		low := math.Round(target*0.9*1e6) / 1e6
		alarms = append(alarms, base(p.alarmLow(resourceID), 15, low, cw.ComparisonOperatorLessThanThreshold))
	}
	return alarms
}

// metricOf sets the metric an alarm watches: a predefined metric's, or a
// customized one (a single metric, or metric math).
func metricOf(in *cw.PutMetricAlarmInput, cluster, service string, tt *aas.TargetTrackingScalingPolicyConfiguration) {
	period := int32(60)
	if pm := tt.PredefinedMetricSpecification; pm != nil {
		dims := []cw.Dimension{{Name: new("ClusterName"), Value: new(cluster)}, {Name: new("ServiceName"), Value: new(service)}}
		in.Namespace, in.Statistic, in.Period, in.Unit, in.Dimensions = new("AWS/ECS"), cw.StatisticAverage, new(period), cw.StandardUnitPercent, dims
		switch pm.PredefinedMetricType {
		case aas.MetricTypeECSServiceAverageCPUUtilization:
			in.MetricName = new("CPUUtilization")
		case aas.MetricTypeECSServiceAverageMemoryUtilization:
			in.MetricName = new("MemoryUtilization")
		case aas.MetricTypeALBRequestCountPerTarget:
			label := awsapi.Deref(pm.ResourceLabel)
			tg := label[strings.Index(label, "/targetgroup/")+1:]
			in.Namespace, in.MetricName, in.Statistic, in.Unit = new("AWS/ApplicationELB"), new("RequestCountPerTarget"), cw.StatisticSum, ""
			in.Dimensions = []cw.Dimension{{Name: new("TargetGroup"), Value: new(tg)}}
		}
		return
	}
	cm := tt.CustomizedMetricSpecification
	if len(cm.Metrics) > 0 {
		for _, q := range cm.Metrics {
			mq := cw.MetricDataQuery{Id: q.Id, Expression: q.Expression, Label: q.Label, ReturnData: q.ReturnData}
			if ms := q.MetricStat; ms != nil {
				m := &cw.Metric{}
				if ms.Metric != nil {
					m.Namespace, m.MetricName = ms.Metric.Namespace, ms.Metric.MetricName
					for _, d := range ms.Metric.Dimensions {
						m.Dimensions = append(m.Dimensions, cw.Dimension{Name: d.Name, Value: d.Value})
					}
				}
				mq.MetricStat = &cw.MetricStat{Metric: m, Period: new(period), Stat: ms.Stat, Unit: cw.StandardUnit(awsapi.Deref(ms.Unit))}
			}
			in.Metrics = append(in.Metrics, mq)
		}
		return
	}
	in.Namespace, in.MetricName, in.Statistic, in.Period = cm.Namespace, cm.MetricName, cw.Statistic(cm.Statistic), new(period)
	in.Unit = cw.StandardUnit(awsapi.Deref(cm.Unit))
	for _, d := range cm.Dimensions {
		in.Dimensions = append(in.Dimensions, cw.Dimension{Name: d.Name, Value: d.Value})
	}
}

// checkTargetTracking applies the rules of a target tracking
// configuration that the model does not state.
func checkTargetTracking(c *aas.TargetTrackingScalingPolicyConfiguration) error {
	if c == nil {
		return errValidation("TargetTrackingScalingPolicyConfiguration is required for a TargetTrackingScaling policy.")
	}
	if c.TargetValue == nil || *c.TargetValue <= 0 || math.IsInf(*c.TargetValue, 0) {
		return errValidation("TargetValue is required and must be greater than 0.")
	}
	if (c.PredefinedMetricSpecification == nil) == (c.CustomizedMetricSpecification == nil) {
		return errValidation("Exactly one of PredefinedMetricSpecification and CustomizedMetricSpecification must be given.")
	}
	if c.ScaleInCooldown != nil && *c.ScaleInCooldown < 0 || c.ScaleOutCooldown != nil && *c.ScaleOutCooldown < 0 {
		return errValidation("Cooldowns must be 0 or more seconds.")
	}
	if pm := c.PredefinedMetricSpecification; pm != nil {
		switch pm.PredefinedMetricType {
		case aas.MetricTypeECSServiceAverageCPUUtilization, aas.MetricTypeECSServiceAverageMemoryUtilization:
			if pm.ResourceLabel != nil {
				return errValidation("ResourceLabel is only for the predefined metric type ALBRequestCountPerTarget.")
			}
		case aas.MetricTypeALBRequestCountPerTarget:
			label := awsapi.Deref(pm.ResourceLabel)
			if !strings.HasPrefix(label, "app/") || !strings.Contains(label, "/targetgroup/") {
				return errValidation("ResourceLabel is required for ALBRequestCountPerTarget, as app/LOAD-BALANCER-NAME/ID/targetgroup/TARGET-GROUP-NAME/ID; got %q.", label)
			}
		default:
			return errValidation("Unsupported predefined metric type %s for service namespace ecs.", pm.PredefinedMetricType)
		}
		return nil
	}
	cm := c.CustomizedMetricSpecification
	if len(cm.Metrics) > 0 {
		if cm.MetricName != nil || cm.Namespace != nil || len(cm.Dimensions) > 0 || cm.Statistic != "" {
			return errValidation("A customized metric is either a metric (MetricName, Namespace, Dimensions, Statistic) or Metrics, not both.")
		}
		returned := 0
		for _, q := range cm.Metrics {
			if q.ReturnData == nil || *q.ReturnData {
				returned++
			}
			if (q.Expression == nil) == (q.MetricStat == nil) {
				return errValidation("Each metric data query needs exactly one of Expression and MetricStat (query %s).", awsapi.Deref(q.Id))
			}
		}
		if returned != 1 {
			return errValidation("Exactly one metric data query must return data (ReturnData), got %d.", returned)
		}
		return nil
	}
	if cm.MetricName == nil || cm.Namespace == nil || cm.Statistic == "" {
		return errValidation("A customized metric needs MetricName, Namespace and Statistic.")
	}
	return nil
}

// checkStep applies the rules of step adjustments: at least one, each
// with an adjustment, intervals that neither overlap nor leave gaps, one
// open-ended below at most and one above at most.
func checkStep(c *aas.StepScalingPolicyConfiguration) error {
	if c == nil {
		return errValidation("StepScalingPolicyConfiguration is required for a StepScaling policy.")
	}
	if c.AdjustmentType == "" {
		return errValidation("AdjustmentType is required for a StepScaling policy: ChangeInCapacity, PercentChangeInCapacity or ExactCapacity.")
	}
	if c.MinAdjustmentMagnitude != nil && c.AdjustmentType != aas.AdjustmentTypePercentChangeInCapacity {
		return errValidation("MinAdjustmentMagnitude is only applicable to PercentChangeInCapacity adjustment type.")
	}
	if c.Cooldown != nil && *c.Cooldown < 0 {
		return errValidation("Cooldown must be 0 or more seconds.")
	}
	if len(c.StepAdjustments) == 0 {
		return errValidation("StepAdjustments must contain at least one step adjustment.")
	}
	steps := slices.Clone(c.StepAdjustments)
	lower := func(s aas.StepAdjustment) float64 {
		if s.MetricIntervalLowerBound == nil {
			return math.Inf(-1)
		}
		return *s.MetricIntervalLowerBound
	}
	upper := func(s aas.StepAdjustment) float64 {
		if s.MetricIntervalUpperBound == nil {
			return math.Inf(1)
		}
		return *s.MetricIntervalUpperBound
	}
	slices.SortFunc(steps, func(x, y aas.StepAdjustment) int { return cmp.Compare(lower(x), lower(y)) })
	for i, s := range steps {
		if s.ScalingAdjustment == nil {
			return errValidation("Each step adjustment needs a ScalingAdjustment.")
		}
		if s.MetricIntervalLowerBound == nil && s.MetricIntervalUpperBound == nil && len(steps) > 1 {
			return errValidation("Only one step adjustment can have neither a lower nor an upper bound.")
		}
		if lower(s) >= upper(s) {
			return errValidation("A step adjustment's upper bound must be greater than its lower bound.")
		}
		if i > 0 {
			switch prev := upper(steps[i-1]); {
			case prev > lower(s):
				return errValidation("Step adjustments overlap: intervals must not overlap.")
			case prev < lower(s):
				return errValidation("There is a gap between step adjustments: intervals must be contiguous.")
			}
		}
	}
	return nil
}

// scalingPolicy is the ScalingPolicy shape of a policy.
func scalingPolicy(sc model.Scope, resourceID string, p *policyRecord) aas.ScalingPolicy {
	out := aas.ScalingPolicy{PolicyARN: new(policyARN(sc, p.ID, resourceID, p.Name)), PolicyName: new(p.Name),
		ServiceNamespace: namespace, ResourceId: new(resourceID), ScalableDimension: dimension, PolicyType: p.Type,
		StepScalingPolicyConfiguration: p.Step, TargetTrackingScalingPolicyConfiguration: p.TT,
		CreationTime: shape.TimeOf(p.Created), Alarms: []aas.Alarm{}}
	names := p.ownedAlarmsOf(resourceID)
	if p.Type == aas.PolicyTypeStepScaling {
		names = p.StepAlarms
	}
	for _, n := range names {
		out.Alarms = append(out.Alarms, aas.Alarm{AlarmName: new(n), AlarmARN: new(alarmARN(sc, n))})
	}
	return out
}

// DescribeScalingPolicies answers policies by target and name.
func (a *API) DescribeScalingPolicies(ctx context.Context, in *aas.DescribeScalingPoliciesRequest) (*aas.DescribeScalingPoliciesResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	out := &aas.DescribeScalingPoliciesResponse{ScalingPolicies: []aas.ScalingPolicy{}}
	if in.ServiceNamespace != namespace || in.ScalableDimension != "" && in.ScalableDimension != dimension {
		return out, nil
	}
	c, err := awsapi.ParseCursor("policies", in.NextToken, awsapi.Errorf(codeInvalidNextToken, "Invalid token"))
	if err != nil {
		return nil, err
	}
	targets, err := a.targetsOf(ctx, sc, in.ResourceId)
	if err != nil {
		return nil, wrap("DescribeScalingPolicies", err)
	}
	var all []aas.ScalingPolicy
	for _, t := range targets {
		for i := range t.Policies {
			if len(in.PolicyNames) == 0 || slices.Contains(in.PolicyNames, t.Policies[i].Name) {
				all = append(all, scalingPolicy(sc, t.ResourceID, &t.Policies[i]))
			}
		}
	}
	key := func(p aas.ScalingPolicy) string { return *p.ResourceId + "\x00" + *p.PolicyName }
	slices.SortFunc(all, func(x, y aas.ScalingPolicy) int { return strings.Compare(key(x), key(y)) })
	page, next := awsapi.SlicePage(all, key, c, awsapi.PageLimit(in.MaxResults, 50))
	out.ScalingPolicies, out.NextToken = append(out.ScalingPolicies, page...), next
	return out, nil
}

// targetsOf reads the target resourceID names, or every target of the
// scope when it is nil.
func (a *API) targetsOf(ctx context.Context, sc model.Scope, resourceID *string) ([]targetRecord, error) {
	return awsapi.Read(ctx, a.DB, func(tx store.ReadTx) ([]targetRecord, error) {
		if resourceID == nil {
			return store.List[targetRecord](tx, targetsPrefix(sc))
		}
		t, ok, err := store.Get[targetRecord](tx, targetKey(sc, *resourceID))
		if err != nil || !ok {
			return nil, err
		}
		return []targetRecord{t}, nil
	})
}

// DeleteScalingPolicy deletes a policy and the alarms it owns.
func (a *API) DeleteScalingPolicy(ctx context.Context, in *aas.DeleteScalingPolicyRequest) (*aas.DeleteScalingPolicyResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	resourceID, name := awsapi.Deref(in.ResourceId), awsapi.Deref(in.PolicyName)
	if _, _, err := checkTarget(in.ServiceNamespace, in.ScalableDimension, resourceID); err != nil {
		return nil, err
	}
	var alarms []string
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		t, ok, err := store.Get[targetRecord](tx, targetKey(sc, resourceID))
		if err != nil {
			return err
		}
		i := slices.IndexFunc(t.Policies, func(p policyRecord) bool { return p.Name == name })
		if !ok || i < 0 {
			return awsapi.Errorf(codeNotFound, "No scaling policy found for service namespace: ecs, resource ID: %s, scalable dimension: ecs:service:DesiredCount, policy name: %s", resourceID, name)
		}
		alarms = t.Policies[i].ownedAlarmsOf(resourceID)
		t.Policies = slices.Delete(t.Policies, i, i+1)
		return store.Put(tx, targetKey(sc, resourceID), t)
	})
	if err != nil {
		return nil, wrap("DeleteScalingPolicy", err)
	}
	a.deleteAlarms(ctx, alarms)
	return &aas.DeleteScalingPolicyResponse{}, nil
}
