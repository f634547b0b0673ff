package server

import (
	"context"
	"errors"
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
func mountCloudWatch(m *mounter, lbPlane *lb.Plane, logsAPI *logs.API, actions map[string]alarms.ActionHandler) (*cloudwatch.API, *ctrl.Supervisor) {
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
	if logsAPI != nil {
		usage.Perf = performanceEvents(logsAPI)
	}
	m.API.Handle("POST "+agentproto.StatsPath, usage.Handler())
	bg.Add("ecs metrics", ctrl.Periodic("ecs metrics", clock.Real(time.Minute), log, usage.Publish))
	if lbPlane != nil {
		alb := &albusage.Publisher{Src: lbPlane, M: ms, Now: clock.Now}
		bg.Add("alb metrics", ctrl.Periodic("alb metrics", clock.Real(time.Minute), log, alb.Publish))
	}
	return api, bg
}

// performanceEvents writes Container Insights performance log events as
// ECS does: per container instance stream, a Task event and a Container
// event per container for each task; in the cluster's first stream a
// Service event per service and the Cluster event.
func performanceEvents(l *logs.API) ecsusage.PerfSink {
	return func(ctx context.Context, tasks []ecsusage.PerfTask, clusters []ecsusage.ClusterInsights, at time.Time) error {
		ms := at.UnixMilli()
		type cluster struct{ account, region, name string }
		type streamKey struct {
			cluster
			stream string
		}
		streams := map[streamKey][]any{}
		first := map[cluster]string{}
		instances := map[cluster]map[string]bool{}
		for _, t := range tasks {
			c := cluster{t.Account, t.Region, t.Cluster}
			stream := logs.PerformanceStream(t.ContainerInstanceID)
			if t.ContainerInstanceID == "" {
				stream = logs.PerformanceStream(t.TaskID)
			}
			if first[c] == "" || stream < first[c] {
				first[c] = stream
			}
			if instances[c] == nil {
				instances[c] = map[string]bool{}
			}
			instances[c][t.ContainerInstanceID] = true
			of := logs.TaskOf{TaskID: t.TaskID, TaskDefinitionFamily: t.Family, TaskDefinitionRevision: t.Revision,
				ContainerInstanceID: t.ContainerInstanceID, ServiceName: t.Service, ClusterName: t.Cluster}
			te := &logs.TaskPerformance{TaskOf: of, AccountID: t.Account,
				Region: t.Region, AvailabilityZone: t.AvailabilityZone, KnownStatus: t.KnownStatus, LaunchType: t.LaunchType,
				PullStartedAt: millis(t.PullStartedAt), PullStoppedAt: millis(t.PullStoppedAt), CreatedAt: millis(t.CreatedAt),
				StartedAt: millis(t.StartedAt), Timestamp: ms, Usage: logs.Usage{CPUUtilized: t.CPUUsed, CPUReserved: t.CPUReserved,
					MemoryUtilized: int64(t.MemUsed), MemoryReserved: int64(t.MemReserved)}}
			te.Complete()
			k := streamKey{c, stream}
			streams[k] = append(streams[k], te)
			for _, ct := range t.Containers {
				ce := &logs.ContainerPerformance{ContainerName: ct.Name, TaskOf: of, Image: ct.Image, ContainerKnownStatus: ct.KnownStatus, Timestamp: ms,
					Usage: logs.Usage{CPUUtilized: ct.CPUUsed, CPUReserved: ct.CPUReserved, MemoryUtilized: int64(ct.MemUsed), MemoryReserved: int64(ct.MemReserved)}}
				ce.Complete()
				streams[k] = append(streams[k], ce)
			}
		}
		for _, ci := range clusters {
			c := cluster{ci.Account, ci.Region, ci.Cluster}
			stream := first[c]
			if stream == "" {
				continue // no task measured this minute
			}
			k := streamKey{c, stream}
			for _, s := range ci.Services {
				se := &logs.ServicePerformance{ServiceName: s.Service, ClusterName: ci.Cluster, Timestamp: ms,
					DesiredTaskCount: int64(s.Desired), RunningTaskCount: int64(s.Running), PendingTaskCount: int64(s.Pending),
					DeploymentCount: int64(s.Deployments), TaskSetCount: int64(s.TaskSets)}
				se.Complete()
				streams[k] = append(streams[k], se)
			}
			ce := &logs.ClusterPerformance{ClusterName: ci.Cluster, Timestamp: ms, TaskCount: int64(ci.Tasks),
				ContainerInstanceCount: int64(len(instances[c])), ServiceCount: int64(len(ci.Services))}
			ce.Complete()
			streams[k] = append(streams[k], ce)
		}
		var errs []error
		for k, evs := range streams {
			if err := l.PutPerformanceEvents(ctx, k.account, k.region, k.name, k.stream, at, evs...); err != nil {
				errs = append(errs, err)
			}
		}
		return errors.Join(errs...)
	}
}

func millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
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
