package metrics

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"time"

	"github.com/wharfhq/wharf/store"
)

// Alarm states, as CloudWatch names them.
const (
	StateOK               = "OK"
	StateAlarm            = "ALARM"
	StateInsufficientData = "INSUFFICIENT_DATA"
)

// Alarm is one metric alarm as stored at
// cloudwatch/ACCOUNT/REGION/alarms/NAME: its definition and its state.
type Alarm struct {
	Account, Region string
	Name            string `json:"name"`
	ARN             string `json:"arn"`
	Description     string `json:"description,omitempty"`
	ActionsEnabled  bool   `json:"actionsEnabled"`

	OKActions               []string `json:"okActions,omitempty"`
	AlarmActions            []string `json:"alarmActions,omitempty"`
	InsufficientDataActions []string `json:"insufficientDataActions,omitempty"`

	Namespace  string `json:"namespace"`
	MetricName string `json:"metricName"`
	Dims       []Dim  `json:"dims,omitempty"`
	Unit       string `json:"unit,omitempty"`
	// Statistic or ExtendedStatistic (pNN), one of them.
	Statistic         string `json:"statistic,omitempty"`
	ExtendedStatistic string `json:"extendedStatistic,omitempty"`

	Period             int64   `json:"period"`
	EvaluationPeriods  int     `json:"evaluationPeriods"`
	DatapointsToAlarm  int     `json:"datapointsToAlarm,omitempty"`
	Threshold          float64 `json:"threshold"`
	ComparisonOperator string  `json:"comparisonOperator"`
	TreatMissingData   string  `json:"treatMissingData,omitempty"`
	// EvaluateLowSampleCountPercentile is kept and answered; wharf always
	// evaluates percentiles (as "evaluate").
	EvaluateLowSampleCountPercentile string `json:"evaluateLowSampleCountPercentile,omitempty"`

	State           string    `json:"state"`
	StateReason     string    `json:"stateReason"`
	StateReasonData string    `json:"stateReasonData,omitempty"`
	StateUpdated    time.Time `json:"stateUpdated"`
	// StateTransitioned is when the state last changed value.
	StateTransitioned time.Time `json:"stateTransitioned"`
	ConfigUpdated     time.Time `json:"configUpdated"`
	// LastEvaluated is the end of the last evaluated period, so that an
	// alarm is evaluated once per period end.
	LastEvaluated time.Time `json:"lastEvaluated,omitzero"`
	// ActionsDue is set when the state changed and the new state's actions
	// have not run yet; the alarm controller runs them and clears it, so a
	// restart in between loses no action.
	ActionsDue bool `json:"actionsDue,omitempty"`

	Tags []Tag `json:"tags,omitempty"`

	// Queries are a metric math alarm's queries (PutMetricAlarm's
	// Metrics): the one with ReturnData is evaluated. Empty for an alarm on
	// one metric (Namespace, MetricName, …).
	Queries []AlarmQuery `json:"queries,omitempty"`

	// Rule is a composite alarm's AlarmRule (rule.go); a composite alarm
	// has no metric and is evaluated from the other alarms' states.
	Rule string `json:"rule,omitempty"`
}

// AlarmQuery is one query of a metric math alarm: a metric statistic, or
// an expression over the other queries' ids.
type AlarmQuery struct {
	ID         string `json:"id"`
	Expression string `json:"expression,omitempty"`
	Label      string `json:"label,omitempty"`
	ReturnData bool   `json:"returnData"`
	Namespace  string `json:"namespace,omitempty"`
	MetricName string `json:"metricName,omitempty"`
	Dims       []Dim  `json:"dims,omitempty"`
	Period     int64  `json:"period,omitempty"`
	Stat       string `json:"stat,omitempty"`
	Unit       string `json:"unit,omitempty"`
}

// QuerySeries evaluates a metric math alarm's queries over [start, end)
// and returns the series of the query with ReturnData.
func (s *Store) QuerySeries(al *Alarm, start, end time.Time) (Series, error) {
	vars := map[string]Series{}
	var all []Series
	var exprs []AlarmQuery
	for _, q := range al.Queries {
		if q.Expression != "" {
			exprs = append(exprs, q)
			continue
		}
		buckets, _ := s.Fetch(Query{ID: ID{Account: al.Account, Region: al.Region, Namespace: q.Namespace, Name: q.MetricName, Dims: q.Dims},
			Unit: q.Unit, Start: start, End: end, Period: max(q.Period, 60)})
		ser := Series{}
		for _, b := range buckets {
			if v, ok := b.Stat(q.Stat); ok {
				ser[b.Start.Unix()] = v
			}
		}
		vars[q.ID], all = ser, append(all, ser)
	}
	for len(exprs) > 0 {
		var next []AlarmQuery
		var lastErr error
		for _, q := range exprs {
			ser, err := EvalExpression(q.Expression, vars, all)
			if err != nil {
				next, lastErr = append(next, q), fmt.Errorf("%s: %w", q.Expression, err)
				continue
			}
			vars[q.ID] = ser
		}
		if len(next) == len(exprs) {
			return nil, lastErr
		}
		exprs = next
	}
	for _, q := range al.Queries {
		if q.ReturnData {
			return vars[q.ID], nil
		}
	}
	return nil, fmt.Errorf("no query returns data")
}

// Tag is a resource tag.
type Tag struct{ Key, Value string }

// M is the number of breaching datapoints that sets ALARM.
func (a *Alarm) M() int {
	if a.DatapointsToAlarm > 0 {
		return a.DatapointsToAlarm
	}
	return a.EvaluationPeriods
}

// Stat is the alarm's statistic name (Statistic or ExtendedStatistic).
func (a *Alarm) Stat() string {
	if a.ExtendedStatistic != "" {
		return a.ExtendedStatistic
	}
	return a.Statistic
}

// MetricID is the metric the alarm watches.
func (a *Alarm) MetricID() ID {
	return ID{Account: a.Account, Region: a.Region, Namespace: a.Namespace, Name: a.MetricName, Dims: a.Dims}
}

// AlarmsRoot is the prefix of every alarm record of every scope.
const AlarmsRoot = "cloudwatch/"

// AlarmsPrefix is the prefix of one scope's alarms.
func AlarmsPrefix(account, region string) string {
	return AlarmsRoot + account + "/" + region + "/alarms/"
}

// AlarmKey is where an alarm is stored.
func AlarmKey(account, region, name string) string { return AlarmsPrefix(account, region) + name }

// AlarmARN is arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME.
func AlarmARN(account, region, name string) string {
	return fmt.Sprintf("arn:aws:cloudwatch:%s:%s:alarm:%s", region, account, name)
}

// HistoryItem is one entry of an alarm's history, stored at
// cloudwatch/ACCOUNT/REGION/history/TIME/NAME so that a listing is in time
// order.
type HistoryItem struct {
	AlarmName string    `json:"alarmName"`
	AlarmARN  string    `json:"alarmArn"`
	Type      string    `json:"type"` // ConfigurationUpdate, StateUpdate, Action
	Time      time.Time `json:"time"`
	Summary   string    `json:"summary"`
	Data      string    `json:"data"`
	ID        string    `json:"id"`
}

// HistoryKeep is how long history is kept (CloudWatch keeps 30 days).
const HistoryKeep = 30 * 24 * time.Hour

// HistoryPrefix is the prefix of one scope's history.
func HistoryPrefix(account, region string) string {
	return AlarmsRoot + account + "/" + region + "/history/"
}

// HistoryKey orders items by time (nanoseconds, zero-padded), then name;
// a random suffix keeps items of one instant apart.
func HistoryKey(account, region string, h HistoryItem) string {
	return fmt.Sprintf("%s%020d/%s/%s", HistoryPrefix(account, region), h.Time.UnixNano(), h.AlarmName, h.ID)
}

// PutHistory records h in tx.
func PutHistory(tx store.Tx, account, region string, h HistoryItem) error {
	if h.ID == "" {
		var b [6]byte
		_, _ = rand.Read(b[:])
		h.ID = hex.EncodeToString(b[:])
	}
	return store.Put(tx, HistoryKey(account, region, h), h)
}

// Transition sets al's state with its reason at now. When the value
// changes it marks the new state's actions due and returns the history
// item to record; an unchanged value only refreshes the reason.
func Transition(al *Alarm, state, reason, data string, now time.Time) *HistoryItem {
	old := al.State
	al.StateReason, al.StateReasonData, al.StateUpdated = reason, data, now
	if state == old {
		return nil
	}
	al.State, al.StateTransitioned, al.ActionsDue = state, now, true
	hd, _ := json.Marshal(map[string]any{
		"version":  "1.0",
		"oldState": map[string]string{"stateValue": old},
		"newState": map[string]any{"stateValue": state, "stateReason": reason},
	})
	return &HistoryItem{AlarmName: al.Name, AlarmARN: al.ARN, Type: "StateUpdate", Time: now,
		Summary: fmt.Sprintf("Alarm updated from %s to %s", old, state), Data: string(hd)}
}

// SameMetric reports whether a and b name the same series (dimensions in
// any order).
func SameMetric(a, b ID) bool { return a.key() == b.key() }

// ActionsFor is the actions of a state.
func (a *Alarm) ActionsFor(state string) []string {
	switch state {
	case StateOK:
		return a.OKActions
	case StateAlarm:
		return a.AlarmActions
	case StateInsufficientData:
		return a.InsufficientDataActions
	}
	return nil
}
