package logs

import (
	"log/slog"

	"github.com/wharfhq/wharf/api/logstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/store"
)

// API implements the CloudWatch Logs operations over db, the logs' own
// store (see the package documentation).
type API struct {
	awsapi.Base
	// wake nudges the janitor after a change it should act on soon (a
	// retention policy, a deletion).
	wake chan struct{}
	// insights holds Logs Insights queries (insights.go).
	insights *insights
	// filters are the metric filters' compiled patterns and the sink of
	// their datapoints (metricfilter.go).
	filters *metricFilters
}

// New returns the CloudWatch Logs API over db.
func New(db store.Backend, log *slog.Logger) *API {
	return &API{Base: awsapi.NewBase(db, log), wake: make(chan struct{}, 1), insights: newInsights(), filters: newMetricFilters()}
}

// Service describes the API for mounting on awsapi.Server.
func (a *API) Service() *awsapi.JSONService {
	return &awsapi.JSONService{
		SigningName:    logstypes.SigningName,
		TargetPrefix:   logstypes.ServiceTarget,
		Errors:         logstypes.Errors,
		ValidationCode: awsapi.CodeInvalidParameter,
		Known:          awsapi.KnownOperations(logstypes.Operations),
		Ops: map[string]awsapi.Handler{
			"CreateLogGroup":           awsapi.JSON(a.CreateLogGroup),
			"DeleteLogGroup":           awsapi.JSON(a.DeleteLogGroup),
			"DescribeLogGroups":        awsapi.JSON(a.DescribeLogGroups),
			"CreateLogStream":          awsapi.JSON(a.CreateLogStream),
			"DeleteLogStream":          awsapi.JSON(a.DeleteLogStream),
			"DescribeLogStreams":       awsapi.JSON(a.DescribeLogStreams),
			"PutLogEvents":             awsapi.JSON(a.PutLogEvents),
			"GetLogEvents":             awsapi.JSON(a.GetLogEvents),
			"FilterLogEvents":          awsapi.JSON(a.FilterLogEvents),
			"PutRetentionPolicy":       awsapi.JSON(a.PutRetentionPolicy),
			"DeleteRetentionPolicy":    awsapi.JSON(a.DeleteRetentionPolicy),
			"TagResource":              awsapi.JSON(a.TagResource),
			"UntagResource":            awsapi.JSON(a.UntagResource),
			"ListTagsForResource":      awsapi.JSON(a.ListTagsForResource),
			"TagLogGroup":              awsapi.JSON(a.TagLogGroup),
			"UntagLogGroup":            awsapi.JSON(a.UntagLogGroup),
			"ListTagsLogGroup":         awsapi.JSON(a.ListTagsLogGroup),
			"StartQuery":               awsapi.JSON(a.StartQuery),
			"GetQueryResults":          awsapi.JSON(a.GetQueryResults),
			"StopQuery":                awsapi.JSON(a.StopQuery),
			"DescribeQueries":          awsapi.JSON(a.DescribeQueries),
			"GetLogRecord":             awsapi.JSON(a.GetLogRecord),
			"PutMetricFilter":          awsapi.JSON(a.PutMetricFilter),
			"DescribeMetricFilters":    awsapi.JSON(a.DescribeMetricFilters),
			"DeleteMetricFilter":       awsapi.JSON(a.DeleteMetricFilter),
			"TestMetricFilter":         awsapi.JSON(a.TestMetricFilter),
			"PutQueryDefinition":       awsapi.JSON(a.PutQueryDefinition),
			"DescribeQueryDefinitions": awsapi.JSON(a.DescribeQueryDefinitions),
			"DeleteQueryDefinition":    awsapi.JSON(a.DeleteQueryDefinition),
		},
	}
}

// Nudges receives after a change the janitor should act on soon; the
// log retention controller sweeps when it does.
func (a *API) Nudges() <-chan struct{} { return a.wake }

// nudge wakes the janitor without waiting.
func (a *API) nudge() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

func (a *API) nowMillis() int64 { return a.Now().UnixMilli() }
