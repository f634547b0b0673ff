package service

import "testing"

func TestTrafficStep(t *testing.T) {
	tests := []struct {
		name string
		task trafficTask
		want trafficAct
	}{
		{"pending: nothing yet", trafficTask{wantRunning: true}, trafficAct{}},
		{"running: registered", trafficTask{wantRunning: true, running: true}, trafficAct{register: true}},
		{"asked to stop: deregistered", trafficTask{running: true}, trafficAct{deregister: true}},
		{"stopped: deregistered", trafficTask{stopped: true}, trafficAct{deregister: true}},
		{"stopped while a drain was pending: deregistered", trafficTask{stopped: true, pendingStop: true}, trafficAct{deregister: true}},
		{"retired: stopped once drained", trafficTask{wantRunning: true, running: true, pendingStop: true}, trafficAct{finishDrain: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := trafficStep(tt.task); got != tt.want {
				t.Fatalf("trafficStep(%+v) = %+v, want %+v", tt.task, got, tt.want)
			}
		})
	}
}
