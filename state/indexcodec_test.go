package state

import (
	"reflect"
	"strings"
	"testing"

	"github.com/wharfhq/wharf/scheduler"
)

func TestIndexedTaskCodec(t *testing.T) {
	const id, inst = "0123456789abcdef0123456789abcdef", "feedfacefeedfacefeedfacefeedface"
	instARN := testScope.ContainerInstanceARN(testCluster, inst)
	key := instanceTaskKey(testScope, testCluster, inst, id)
	k, ok := parseInstanceTaskKey(key)
	if !ok {
		t.Fatalf("key %q does not parse", key)
	}
	base := scheduler.PlacedTask{ARN: testScope.TaskARN(testCluster, id), TaskDefinitionARN: testScope.TaskDefinitionARN("app", 3),
		Group: "service:web", StartedBy: "ecs-svc/123", LastStatus: "RUNNING", DesiredStatus: "RUNNING", Reserved: scheduler.Resources{CPU: 256, Memory: 512}}
	with := func(f func(*scheduler.PlacedTask)) scheduler.PlacedTask {
		p := base
		f(&p)
		return p
	}
	tests := []struct {
		name     string
		instance string
		task     scheduler.PlacedTask
		json     bool // falls back to JSON
		maxBytes int  // 0: no bound
	}{
		{"no ports: ARNs left to the key", instARN, base, false, 60},
		{"tcp and udp ports", instARN, with(func(p *scheduler.PlacedTask) {
			p.Reserved.Ports = []scheduler.Port{{Port: 80, Protocol: "tcp"}, {Port: 53, Protocol: "udp"}}
		}), false, 0},
		{"port without protocol", instARN, with(func(p *scheduler.PlacedTask) { p.Reserved.Ports = []scheduler.Port{{Port: 8080}} }), false, 0},
		{"empty fields", "", scheduler.PlacedTask{ARN: "a"}, false, 0},
		{"ARNs of another account kept whole", "arn:aws:ecs:eu-west-1:111111111111:container-instance/c/" + inst, with(func(p *scheduler.PlacedTask) {
			p.ARN = "arn:aws:ecs:eu-west-1:111111111111:task/c/" + id
			p.TaskDefinitionARN = "arn:aws:ecs:eu-west-1:111111111111:task-definition/app:3"
		}), false, 0},
		{"values starting with the escape", "!odd", with(func(p *scheduler.PlacedTask) {
			p.ARN, p.TaskDefinitionARN = "!", testScope.ARN("task-definition/")+"!x:1"
		}), false, 0},
		{"group holding the separator", instARN, with(func(p *scheduler.PlacedTask) { p.Group = "odd" + flatSep + "group" }), true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := IndexedTask{Instance: tt.instance, Task: tt.task}
			b, err := encodeIndexedTask(k, in)
			if err != nil {
				t.Fatal(err)
			}
			if got := b[0] == '{'; got != tt.json {
				t.Fatalf("JSON fallback %v, want %v: %q", got, tt.json, b)
			}
			if tt.maxBytes > 0 && len(b) > tt.maxBytes {
				t.Errorf("entry is %d bytes, want at most %d: %q", len(b), tt.maxBytes, b)
			}
			out, err := decodeIndexedTask(key, b)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(out, in) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", out, in)
			}
		})
	}
}

func TestIndexedTaskDecodeErrors(t *testing.T) {
	key := instanceTaskKey(testScope, testCluster, "i1", "t1")
	tests := []struct {
		name, key, value string
	}{
		{"truncated entry", key, flatTag + flatSep + "short"},
		{"bad cpu", key, strings.Join([]string{flatTag, "", "", "a:1", "g", "s", "RUNNING", "RUNNING", "x", "1", ""}, flatSep)},
		{"bad port", key, strings.Join([]string{flatTag, "", "", "a:1", "g", "s", "RUNNING", "RUNNING", "1", "1", "x/tcp"}, flatSep)},
		{"short entry under a key of another shape", "k", strings.Join([]string{flatTag, "", "", "a:1", "g", "s", "RUNNING", "RUNNING", "1", "1", ""}, flatSep)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := decodeIndexedTask(tt.key, []byte(tt.value)); err == nil {
				t.Fatal("decoded")
			}
		})
	}
}

// TestIndexedTaskDecodeV1 reads an entry of the layout before indexVersion
// 2, every field whole.
func TestIndexedTaskDecodeV1(t *testing.T) {
	v1 := strings.Join([]string{flatTagV1, "arn:aws:ecs:us-east-1:000000000000:container-instance/c/i1", "arn:aws:ecs:us-east-1:000000000000:task/c/abc",
		"arn:aws:ecs:us-east-1:000000000000:task-definition/app:3", "service:web", "ecs-svc/1", "PENDING", "RUNNING", "16", "32", "80/tcp"}, flatSep)
	got, err := decodeIndexedTask("k", []byte(v1))
	if err != nil {
		t.Fatal(err)
	}
	want := IndexedTask{Instance: "arn:aws:ecs:us-east-1:000000000000:container-instance/c/i1", Task: scheduler.PlacedTask{
		ARN: "arn:aws:ecs:us-east-1:000000000000:task/c/abc", TaskDefinitionARN: "arn:aws:ecs:us-east-1:000000000000:task-definition/app:3",
		Group: "service:web", StartedBy: "ecs-svc/1", LastStatus: "PENDING", DesiredStatus: "RUNNING",
		Reserved: scheduler.Resources{CPU: 16, Memory: 32, Ports: []scheduler.Port{{Port: 80, Protocol: "tcp"}}}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

// BenchmarkIndexedTaskDecode compares reading an entry of layout 2 (ARNs
// rebuilt from the key) with one of layout 1 (every field whole): every
// placement reads one entry per task of the cluster.
func BenchmarkIndexedTaskDecode(b *testing.B) {
	const id, inst = "0123456789abcdef0123456789abcdef", "feedfacefeedfacefeedfacefeedface"
	key := instanceTaskKey(testScope, testCluster, inst, id)
	k, _ := parseInstanceTaskKey(key)
	in := IndexedTask{Instance: testScope.ContainerInstanceARN(testCluster, inst), Task: scheduler.PlacedTask{ARN: testScope.TaskARN(testCluster, id),
		TaskDefinitionARN: testScope.TaskDefinitionARN("app", 3), Group: "service:web", StartedBy: "ecs-svc/123", LastStatus: "RUNNING",
		DesiredStatus: "RUNNING", Reserved: scheduler.Resources{CPU: 256, Memory: 512}}}
	v2, err := encodeIndexedTask(k, in)
	if err != nil {
		b.Fatal(err)
	}
	p := in.Task
	v1 := []byte(strings.Join([]string{flatTagV1, in.Instance, p.ARN, p.TaskDefinitionARN, p.Group, p.StartedBy, p.LastStatus, p.DesiredStatus,
		"256", "512", ""}, flatSep))
	for _, c := range []struct {
		name  string
		value []byte
	}{{"layout2", v2}, {"layout1", v1}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := decodeIndexedTask(key, c.value); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
