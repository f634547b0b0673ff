package service

import "github.com/wharfhq/wharf/model"

// trafficTask is what the traffic step needs to know of one task.
type trafficTask struct {
	stopped     bool // lastStatus STOPPED
	wantRunning bool // desiredStatus RUNNING
	running     bool // lastStatus RUNNING
	pendingStop bool // the scheduler stops it once its targets drained
}

// trafficAct is what to do with one task's registrations.
type trafficAct struct {
	// deregister: the task stopped or is stopping; take it out of its
	// target groups and Cloud Map services (idempotent).
	deregister bool
	// finishDrain: deregister, and stop the task once nothing drains.
	finishDrain bool
	// register: the task runs; make it a target and an instance, and
	// report its health to Cloud Map.
	register bool
}

// trafficStep decides one task's traffic. A task is registered while it
// runs and is wanted, deregistered once it stops or is asked to, and a
// task the scheduler retired waits for its drain before it is stopped.
func trafficStep(t trafficTask) trafficAct {
	switch {
	case t.stopped || !t.wantRunning:
		return trafficAct{deregister: true}
	case t.pendingStop:
		return trafficAct{finishDrain: true}
	case t.running:
		return trafficAct{register: true}
	}
	return trafficAct{}
}

// trafficWork is one task's planned traffic, carried out by apply.
type trafficWork struct {
	task    int // index into the pass's task records
	act     trafficAct
	targets []target
	healthy bool // reported to Cloud Map with register
}

// applyTraffic carries out one task's traffic work.
func (r *run) applyTraffic(rec *model.TaskRecord, w trafficWork) error {
	switch {
	case w.act.deregister:
		_, err := r.deregister(*rec, w.targets)
		return err
	case w.act.finishDrain:
		return r.finishDrain(rec, w.targets)
	case w.act.register:
		if err := r.register(*rec, w.targets); err != nil {
			return err
		}
		return r.setRegistryHealth(*rec, w.healthy)
	}
	return nil
}
