package server

import (
	"context"
	"path/filepath"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/awsapi/cloudwatch"
	"github.com/wharfhq/wharf/awsapi/logs"
	"github.com/wharfhq/wharf/controller/alarms"
	"github.com/wharfhq/wharf/controller/ctrl"
	"github.com/wharfhq/wharf/dataplane/lb"
	"github.com/wharfhq/wharf/metrics"
	"github.com/wharfhq/wharf/metrics/albusage"
	"github.com/wharfhq/wharf/metrics/ecsusage"
)

// CloudWatch metrics and alarms, over awsQuery (the aws CLI) and RPC v2
// CBOR (aws-sdk-go-v2). Metrics live in memory, saved to
// DATA_DIR/metrics.gob every minute and at shutdown; alarms are records
// in the store. The returned supervisor runs the alarm evaluator, the
// metrics saver and retention, and the ECS and load balancer metrics
// publishers. actions run alarm actions by ARN prefix.
func mountCloudWatch(m *mounter, lbPlane *lb.Plane, actions map[string]alarms.ActionHandler) (*cloudwatch.API, *ctrl.Supervisor) {
	clock := metrics.ClockFromEnv()
	log := m.Log.With("service", "cloudwatch")
	ms := metrics.NewStore()
	ms.Now = clock.Now
	path := ""
	if m.Cfg.DataDir != "" {
		path = filepath.Join(m.Cfg.DataDir, metrics.FileName)
		if err := ms.Load(path); err != nil {
			log.Error("metrics: starting empty", "err", err)
		}
		m.closers = append(m.closers, func() error { return ms.Save(path) })
	}
	api := cloudwatch.New(m.DB, ms, log)
	api.Now = clock.Now
	m.API.RegisterQuery(api.Service())
	m.API.RegisterRPCv2(api.RPCv2())

	bg := &ctrl.Supervisor{Log: log}
	ev := &alarms.Controller{DB: m.DB, M: ms, Log: log.With("component", "alarms"), Now: clock.Now, Actions: actions}
	// Alarms are evaluated once a period end; ten passes a (metric) minute
	// keep the delay after a period's end short.
	bg.Add("alarm evaluation", ctrl.Periodic("alarm evaluation", clock.Real(6*time.Second), log, ev.Pass))
	bg.Add("metrics retention", ctrl.Periodic("metrics retention", clock.Real(time.Minute), log, func(ctx context.Context) error {
		ms.Compact(clock.Now())
		if path == "" {
			return nil
		}
		return ms.Save(path)
	}))
	usage := &ecsusage.Usage{DB: m.DB, M: ms, Log: log.With("component", "ecs-metrics"), Now: clock.Now}
	m.API.Handle("POST "+agentproto.StatsPath, usage.Handler())
	bg.Add("ecs metrics", ctrl.Periodic("ecs metrics", clock.Real(time.Minute), log, usage.Publish))
	if lbPlane != nil {
		alb := &albusage.Publisher{Src: lbPlane, M: ms, Now: clock.Now}
		bg.Add("alb metrics", ctrl.Periodic("alb metrics", clock.Real(time.Minute), log, alb.Publish))
	}
	return api, bg
}

// metricFilterSink publishes CloudWatch Logs metric filters' datapoints
// into the metrics store, in the scope of the PutLogEvents call that made
// them.
func metricFilterSink(ms *metrics.Store) logs.MetricSink {
	return func(ctx context.Context, namespace, name string, dims map[string]string, value float64, unit string, at time.Time) error {
		sc := awsapi.ScopeOf(ctx)
		id := metrics.ID{Account: sc.Account, Region: sc.Region, Namespace: namespace, Name: name}
		for k, v := range dims {
			id.Dims = append(id.Dims, metrics.Dim{Name: k, Value: v})
		}
		ms.Put(metrics.Datum{ID: id, Unit: unit, Time: at, Value: &value})
		return nil
	}
}
