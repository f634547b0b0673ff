package service

import (
	"strings"
	"testing"
)

// TestStepDeploymentAlarms: an alarm of deploymentConfiguration.alarms in
// ALARM fails an in-progress deployment, rolling back when its rollback
// is set; a completed deployment is not failed by it.
func TestStepDeploymentAlarms(t *testing.T) {
	alarmed := func(rollback bool) Spec {
		s := spec4
		s.InAlarm, s.AlarmRollback = []string{"5xx-high"}, rollback
		return s
	}
	tests := []struct {
		name     string
		spec     Spec
		deps     []Deployment
		tasks    []Task
		failed   bool
		rollback string
		launch   int
	}{
		{"alarm fails the rollout and rolls back", alarmed(true), []Deployment{newDep, oldDep}, join(tasks("old", 4, true), tasks("new", 2, true)), true, "web:1", 0},
		{"alarm fails the rollout without rollback", alarmed(false), []Deployment{newDep, oldDep}, join(tasks("old", 4, true), tasks("new", 2, true)), true, "", 0},
		{"the breaker's rollback does not apply to alarms", func() Spec { s := alarmed(false); s.Breaker, s.Rollback = true, true; return s }(),
			[]Deployment{newDep, oldDep}, tasks("old", 4, true), true, "", 0},
		{"a completed deployment ignores the alarm", alarmed(true), []Deployment{doneDep}, tasks("new", 3, true), false, "", 1},
		{"the rollback deployment is not failed by the alarm", alarmed(true), []Deployment{{ID: "back", TaskDefinition: "web:1", Primary: true, Rollout: RolloutInProgress},
			{ID: "new", TaskDefinition: "web:2", Rollout: RolloutFailed}}, tasks("new", 1, true), false, "", 4},
		{"no alarm in ALARM: the rollout goes on", spec4, []Deployment{newDep, oldDep}, tasks("old", 4, true), false, "", 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Step(tt.spec, tt.deps, tt.tasks, "web:1")
			if (p.Failed != "") != tt.failed || p.RollbackTo != tt.rollback || p.Launch != tt.launch {
				t.Fatalf("failed %q (%s) rollback %q launch %d; want %v %q %d", p.Failed, p.FailReason, p.RollbackTo, p.Launch, tt.failed, tt.rollback, tt.launch)
			}
			if tt.failed && !strings.Contains(p.FailReason, "5xx-high") {
				t.Fatalf("reason %q names no alarm", p.FailReason)
			}
		})
	}
}
