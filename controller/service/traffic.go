package service

import (
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/controller/traffic"
	"github.com/wharfhq/wharf/model"
)

// A service's traffic: each of its tasks is a target of the service's
// target groups and an instance of its Cloud Map services while it runs.
// Registration waits for the task to run; a planned stop deregisters first
// and stops the task only once its targets have drained, so no request in
// flight is dropped. The work is controller/traffic's, shared with the
// task-set controller; these methods bind it to the pass's service.

// target is one registration of a task in one target group.
type target = traffic.Target

func (r *run) binding() *traffic.Binding {
	svc := r.svc()
	return &traffic.Binding{Tx: r.tx, Scope: r.sc, Cluster: r.cluster, Service: shape.Deref(svc.ServiceName),
		LoadBalancers: svc.LoadBalancers, Registries: svc.ServiceRegistries, Now: r.now}
}

func (r *run) targetsOf(rec model.TaskRecord) ([]target, error) { return r.binding().Targets(rec) }

func (r *run) lbHealth(ts []target) (healthy, unhealthy bool, why string, err error) {
	return r.binding().Health(ts)
}

func (r *run) register(rec model.TaskRecord, ts []target) error { return r.binding().Register(rec, ts) }

func (r *run) deregister(rec model.TaskRecord, ts []target) (draining bool, err error) {
	return r.binding().Deregister(rec, ts)
}

func (r *run) setRegistryHealth(rec model.TaskRecord, healthy bool) error {
	return r.binding().SetRegistryHealth(rec, healthy)
}

func (r *run) hasTraffic() bool { return r.binding().HasTraffic() }
