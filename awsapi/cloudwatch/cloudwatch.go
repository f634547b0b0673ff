// Package cloudwatch serves Amazon CloudWatch's metrics, metric alarms and
// composite alarms:
// PutMetricData, GetMetricStatistics, GetMetricData (MetricStat queries and
// simple metric math: arithmetic, SUM, AVG, MIN, MAX, METRICS(); other
// math functions are refused by name), ListMetrics,
// PutMetricAlarm, PutCompositeAlarm, DescribeAlarms, DescribeAlarmsForMetric, DeleteAlarms,
// SetAlarmState, DescribeAlarmHistory, Enable/DisableAlarmActions and the
// tag operations, over both protocols clients speak: awsQuery (the aws CLI)
// and Smithy RPC v2 CBOR (aws-sdk-go-v2 since 2025).
//
// Metrics live in a metrics.Store; alarms are records in store.Backend
// that controller/alarms evaluates. It imports no other service package.
package cloudwatch

import (
	"context"
	"log/slog"
	"maps"

	"github.com/wharfhq/wharf/api/cloudwatchtypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/metrics"
	"github.com/wharfhq/wharf/store"
)

// API implements the CloudWatch operations.
type API struct {
	awsapi.Base
	M *metrics.Store
}

// New returns the CloudWatch API over db (alarms) and m (metrics).
func New(db store.Backend, m *metrics.Store, log *slog.Logger) *API {
	return &API{Base: awsapi.NewBase(db, log), M: m}
}

func (a *API) ops() map[string]awsapi.Handler {
	return map[string]awsapi.Handler{
		"PutMetricData":           awsapi.JSON(a.PutMetricData),
		"GetMetricStatistics":     awsapi.JSON(a.GetMetricStatistics),
		"GetMetricData":           awsapi.JSON(a.GetMetricData),
		"ListMetrics":             awsapi.JSON(a.ListMetrics),
		"PutMetricAlarm":          awsapi.JSON(a.PutMetricAlarm),
		"PutCompositeAlarm":       awsapi.JSON(a.PutCompositeAlarm),
		"DescribeAlarms":          awsapi.JSON(a.DescribeAlarms),
		"DescribeAlarmsForMetric": awsapi.JSON(a.DescribeAlarmsForMetric),
		"DeleteAlarms":            awsapi.JSON(a.DeleteAlarms),
		"SetAlarmState":           awsapi.JSON(a.SetAlarmState),
		"DescribeAlarmHistory":    awsapi.JSON(a.DescribeAlarmHistory),
		"EnableAlarmActions":      awsapi.JSON(a.EnableAlarmActions),
		"DisableAlarmActions":     awsapi.JSON(a.DisableAlarmActions),
		"TagResource":             awsapi.JSON(a.TagResource),
		"UntagResource":           awsapi.JSON(a.UntagResource),
		"ListTagsForResource":     awsapi.JSON(a.ListTagsForResource),
	}
}

// Service describes the API for the Query protocol (the aws CLI).
func (a *API) Service() *awsapi.QueryService {
	return &awsapi.QueryService{
		SigningName:    cloudwatchtypes.SigningName,
		Version:        cloudwatchtypes.APIVersion,
		XMLNamespace:   cloudwatchtypes.XMLNamespace,
		ValidationCode: codeInvalidValue,
		Errors:         cloudwatchtypes.Errors,
		Known:          awsapi.KnownOperations(cloudwatchtypes.Operations),
		Ops: map[string]awsapi.QueryHandler{
			"PutMetricData":           awsapi.Query(a.PutMetricData),
			"GetMetricStatistics":     awsapi.Query(a.getMetricStatisticsXML),
			"GetMetricData":           awsapi.Query(a.GetMetricData),
			"ListMetrics":             awsapi.Query(a.ListMetrics),
			"PutMetricAlarm":          awsapi.Query(a.PutMetricAlarm),
			"PutCompositeAlarm":       awsapi.Query(a.PutCompositeAlarm),
			"DescribeAlarms":          awsapi.Query(a.DescribeAlarms),
			"DescribeAlarmsForMetric": awsapi.Query(a.DescribeAlarmsForMetric),
			"DeleteAlarms":            awsapi.Query(a.DeleteAlarms),
			"SetAlarmState":           awsapi.Query(a.SetAlarmState),
			"DescribeAlarmHistory":    awsapi.Query(a.DescribeAlarmHistory),
			"EnableAlarmActions":      awsapi.Query(a.EnableAlarmActions),
			"DisableAlarmActions":     awsapi.Query(a.DisableAlarmActions),
			"TagResource":             awsapi.Query(a.TagResource),
			"UntagResource":           awsapi.Query(a.UntagResource),
			"ListTagsForResource":     awsapi.Query(a.ListTagsForResource),
		},
	}
}

// RPCv2 describes the API for Smithy RPC v2 CBOR (aws-sdk-go-v2).
func (a *API) RPCv2() *awsapi.RPCv2Service {
	shapes := map[string]string{}
	for name, code := range cloudwatchtypes.ErrorCodes {
		// Two shapes share ResourceNotFound; the SDK's typed error for it
		// is ResourceNotFound.
		if _, dup := shapes[code]; !dup || name == code {
			shapes[code] = name
		}
	}
	return &awsapi.RPCv2Service{
		SigningName:    cloudwatchtypes.SigningName,
		ServiceShape:   cloudwatchtypes.ServiceTarget,
		ValidationCode: codeInvalidValue,
		ErrorShapes:    maps.Clone(shapes),
		Errors:         cloudwatchtypes.Errors,
		Known:          awsapi.KnownOperations(cloudwatchtypes.Operations),
		Ops:            a.ops(),
	}
}

// CloudWatch's Query error codes (aws.protocols#awsQueryError).
const (
	codeInvalidValue       = cloudwatchtypes.ErrInvalidParameterValueException
	codeInvalidCombination = cloudwatchtypes.ErrInvalidParameterCombinationException
	codeMissing            = cloudwatchtypes.ErrMissingRequiredParameterException
	codeNotFound           = cloudwatchtypes.ErrResourceNotFound
	codeNotFoundException  = cloudwatchtypes.ErrResourceNotFoundException
	codeLimitExceeded      = cloudwatchtypes.ErrLimitExceededFault
	codeInvalidNextToken   = cloudwatchtypes.ErrInvalidNextToken
)

func errInvalid(format string, args ...any) error {
	return awsapi.Errorf(codeInvalidValue, format, args...)
}

func errCombination(format string, args ...any) error {
	return awsapi.Errorf(codeInvalidCombination, format, args...)
}

func errMissing(format string, args ...any) error {
	return awsapi.Errorf(codeMissing, format, args...)
}

func wrap(op string, err error) error { return awsapi.Wrap("cloudwatch "+op, err) }

// scope is the account and region of the call in ctx.
func scope(ctx context.Context) (account, region string) {
	sc := awsapi.ScopeOf(ctx)
	return sc.Account, sc.Region
}
