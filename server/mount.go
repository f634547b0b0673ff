package server

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/controller/alarms"
	"github.com/wharfhq/wharf/controller/ctrl"
	"github.com/wharfhq/wharf/controller/ecrlifecycle"
	"github.com/wharfhq/wharf/controller/ecsevents"
	"github.com/wharfhq/wharf/controller/logretention"
	"github.com/wharfhq/wharf/controller/reaper"
	"github.com/wharfhq/wharf/controller/scheduledscaling"
	"github.com/wharfhq/wharf/controller/schedules"
	"github.com/wharfhq/wharf/controller/service"
	"github.com/wharfhq/wharf/controller/taskset"
	"github.com/wharfhq/wharf/keyring"
	"github.com/wharfhq/wharf/ssmsession"
	"github.com/wharfhq/wharf/store"
)

// mounter is what a service needs to join wharf: the shared HTTP front
// door, the store, a logger, the configuration and the keyring (opened
// once, for every service that seals secrets). Each service mounts itself
// in mount_<service>.go and returns what its background work needs.
type mounter struct {
	API *awsapi.Server
	DB  store.Backend
	Log *slog.Logger
	Cfg Config
	// Keyring seals secret values; nil with KeyringErr saying why when it
	// could not be opened (the services that need it then refuse calls).
	Keyring    *keyring.Keyring
	KeyringErr error
	// closers release what mounts opened (the logs store), after every
	// background runner stopped.
	closers []func() error
}

// controlPlane is one assembled wharf control plane.
type controlPlane struct {
	api *awsapi.Server
	// bg holds every controller and data plane; Server.Start runs it.
	bg      *ctrl.Supervisor
	closers []func() error
	// execs serves ECS Exec sessions; the agent that runs them joins it.
	execs *ssmsession.Broker
}

// newControlPlane mounts every AWS service wharf serves, and wharf's own
// endpoints, then lists the background work: every controller and data
// plane, run by one supervisor that restarts a failed one with backoff.
// Both lists are explicit, in this order.
func newControlPlane(db store.Backend, cfg Config, healthy func() error) *controlPlane {
	m := &mounter{API: awsapi.NewServer(cfg.Log, cfg.Account), DB: db, Log: cfg.Log, Cfg: cfg}
	m.Keyring, m.KeyringErr = openKeyring(cfg)

	creds := mountCredentials(m)
	ecsAPI := mountECS(m)
	lbPlane := mountELBv2(m)
	logsAPI := mountLogs(m)
	execs := mountExec(m, ecsAPI, logsAPI)
	secrets := mountSecretsManager(m)
	dnsServer := mountServiceDiscovery(m)
	mountSSM(m)
	autoscaling := mountApplicationAutoScaling(m)
	stsAPI := mountSTS(m, mountIAM(m))
	events := mountEventBridge(m, logsAPI)
	sched := mountScheduler(m)
	ecrAPI := mountECR(m)
	mountCloudTrail(m)
	cw, cwBg := mountCloudWatch(m, lbPlane, logsAPI, map[string]alarms.ActionHandler{"arn:aws:autoscaling:": scalingAction(autoscaling)})
	joinCloudWatch(autoscaling, cw)
	if logsAPI != nil {
		logsAPI.SetMetricSink(metricFilterSink(cw.M))
	}
	m.API.Handle("GET /_wharf/health", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := healthy(); err != nil {
			jsonStatus(w, http.StatusServiceUnavailable, fmt.Sprintf("{\"status\":%q}", err.Error()))
			return
		}
		jsonStatus(w, http.StatusOK, `{"status":"ok"}`)
	}))

	bg := &ctrl.Supervisor{Log: cfg.Log.With("component", "supervisor")}
	bg.Add("service scheduler", service.New(db, cfg.Log.With("component", "service-scheduler"), cfg.StabilizationWindow))
	bg.Add("task-set controller", taskset.New(db, cfg.Log.With("component", "task-set-controller")))
	bg.Add("stopped-task reaper", reaper.New(db, cfg.Log.With("component", "reaper")))
	bg.Add("load balancer data plane", lbPlane)
	bg.Add("scheduled scaling", scheduledscaling.New(autoscaling, cfg.Log.With("component", "scheduled-scaling"), nil))
	bg.Add("cloudwatch", cwBg)
	if logsAPI != nil {
		bg.Add("log retention", logretention.New(logsAPI, cfg.Log.With("service", "logs")))
		bg.Add("logs insights queries", logsAPI.QueryRunner())
	}
	if secrets != nil {
		bg.Add("secret purge", ctrl.Periodic("secret purge", time.Minute, cfg.Log.With("service", "secretsmanager"), secrets.Purge))
	}
	if creds != nil {
		bg.Add("credentials expiry", ctrl.Periodic("credentials expiry", 10*time.Minute, cfg.Log.With("component", "credentials"), creds.Purge))
	}
	bg.Add("sts session expiry", ctrl.Periodic("sts session expiry", 10*time.Minute, cfg.Log.With("service", "sts"), stsAPI.Purge))
	bg.Add("event delivery", events.Deliverer())
	bg.Add("schedules", schedules.New(cfg.Log.With("component", "schedules"), events, sched))
	bg.Add("ecs events", ecsevents.New(db, events, cfg.Log.With("component", "ecs-events")))
	if ecrAPI != nil {
		bg.Add("ecr lifecycle", ecrlifecycle.New(ecrAPI, cfg.Log.With("service", "ecr")))
	}
	if dnsServer != nil {
		bg.Add("dns server", dnsServer)
	}
	return &controlPlane{api: m.API, bg: bg, closers: m.closers, execs: execs}
}

// openKeyring is the keyring Start opened and checked (keyring.go), or
// one in memory when there is no data dir, as for the fuzz tests.
func openKeyring(cfg Config) (*keyring.Keyring, error) {
	if cfg.keyring != nil {
		return cfg.keyring, nil
	}
	if cfg.DataDir == "" {
		return keyring.Ephemeral(), nil
	}
	return keyring.Open(cfg.DataDir)
}

// refuseAll makes every operation of svc fail because its keyring could
// not be opened: the log says why, callers get a ServerException.
func refuseAll(svc *awsapi.JSONService, cause error, m *mounter) {
	m.Log.Error("keyring unavailable: "+svc.SigningName+" refuses every call", "err", cause)
	for op := range svc.Ops {
		svc.Ops[op] = func(context.Context, []byte) (any, error) {
			return nil, &awsapi.Error{Code: awsapi.CodeServerException, Fault: awsapi.ServerFault,
				Message: "wharf could not open its keyring, so it cannot read or store secrets; the server log says why"}
		}
	}
}

// jsonStatus is a tiny handler helper for wharf's own endpoints.
func jsonStatus(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body + "\n"))
}
