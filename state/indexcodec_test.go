package state

import (
	"reflect"
	"testing"

	"github.com/wharfhq/wharf/scheduler"
)

func TestIndexedTaskCodec(t *testing.T) {
	base := scheduler.PlacedTask{ARN: "arn:aws:ecs:us-east-1:000000000000:task/c/abc", TaskDefinitionARN: "arn:aws:ecs:us-east-1:000000000000:task-definition/app:3",
		Group: "service:web", StartedBy: "ecs-svc/123", LastStatus: "RUNNING", DesiredStatus: "RUNNING", Reserved: scheduler.Resources{CPU: 256, Memory: 512}}
	with := func(f func(*scheduler.PlacedTask)) scheduler.PlacedTask {
		p := base
		f(&p)
		return p
	}
	tests := []struct {
		name string
		task scheduler.PlacedTask
		json bool // falls back to JSON
	}{
		{"no ports", base, false},
		{"tcp and udp ports", with(func(p *scheduler.PlacedTask) {
			p.Reserved.Ports = []scheduler.Port{{Port: 80, Protocol: "tcp"}, {Port: 53, Protocol: "udp"}}
		}), false},
		{"port without protocol", with(func(p *scheduler.PlacedTask) { p.Reserved.Ports = []scheduler.Port{{Port: 8080}} }), false},
		{"empty fields", scheduler.PlacedTask{ARN: "a"}, false},
		{"group holding the separator", with(func(p *scheduler.PlacedTask) { p.Group = "odd" + flatSep + "group" }), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := IndexedTask{Instance: "arn:aws:ecs:us-east-1:000000000000:container-instance/c/i1", Task: tt.task}
			b, err := encodeIndexedTask(in)
			if err != nil {
				t.Fatal(err)
			}
			if got := b[0] == '{'; got != tt.json {
				t.Fatalf("JSON fallback %v, want %v: %q", got, tt.json, b)
			}
			out, err := decodeIndexedTask("k", b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(out, in) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", out, in)
			}
		})
	}
	if _, err := decodeIndexedTask("k", []byte("t1"+flatSep+"short")); err == nil {
		t.Fatal("a truncated entry decoded")
	}
}
