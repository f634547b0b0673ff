package agent

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/logstypes"
	"github.com/wharfhq/wharf/runtime/docker"
)

const testTaskARN = "arn:aws:ecs:eu-west-1:000000000000:task/c1/0123456789abcdef"

func assignmentWith(lc *ecstypes.LogConfiguration) agentproto.Assignment {
	return agentproto.Assignment{TaskARN: testTaskARN, Definition: ecstypes.TaskDefinition{
		ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: new("app"), LogConfiguration: lc}, {Name: new("side")}}}}
}

func awslogs(opts map[string]string) *ecstypes.LogConfiguration {
	return &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: opts}
}

func TestAwslogsFor(t *testing.T) {
	cases := []struct {
		name      string
		lc        *ecstypes.LogConfiguration
		container string
		id        string
		want      awslogsConfig
		ok        bool
	}{
		{"no log configuration", nil, "app", "abc", awslogsConfig{}, false},
		{"another driver", &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverJsonFile}, "app", "abc", awslogsConfig{}, false},
		{"another container", awslogs(map[string]string{"awslogs-group": "g"}), "side", "abc", awslogsConfig{}, false},
		{"prefix names the stream as ECS", awslogs(map[string]string{"awslogs-group": "/ecs/g", "awslogs-region": "us-west-2", "awslogs-stream-prefix": "web"}),
			"app", "abc", awslogsConfig{group: "/ecs/g", region: "us-west-2", stream: "web/app/0123456789abcdef"}, true},
		{"without prefix the stream is the container id", awslogs(map[string]string{"awslogs-group": "g"}),
			"app", "abc", awslogsConfig{group: "g", region: "eu-west-1", stream: "abc"}, true},
		{"create group", awslogs(map[string]string{"awslogs-group": "g", "awslogs-create-group": "TRUE", "awslogs-stream-prefix": "p"}),
			"app", "", awslogsConfig{group: "g", region: "eu-west-1", stream: "p/app/0123456789abcdef", createGroup: true}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := awslogsFor(assignmentWith(tc.lc), tc.container, tc.id)
			if ok != tc.ok || got != tc.want {
				t.Fatalf("got %+v %v, want %+v %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// fakeLogs is a control plane answering the Logs calls the hook makes.
type fakeLogs struct {
	mu     sync.Mutex
	groups map[string]bool
	calls  []string
}

func (f *fakeLogs) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), logstypes.ServiceTarget+".")
	var in struct{ LogGroupName string }
	b, _ := io.ReadAll(r.Body)
	_ = json.Unmarshal(b, &in)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, op)
	fail := func(code string) {
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"__type":"` + code + `","message":"x"}`))
	}
	switch {
	case op == "CreateLogGroup" && f.groups[in.LogGroupName]:
		fail("ResourceAlreadyExistsException")
		return
	case op == "CreateLogGroup":
		f.groups[in.LogGroupName] = true
	case !f.groups[in.LogGroupName]:
		fail("ResourceNotFoundException")
		return
	}
	_, _ = w.Write([]byte(`{}`))
}

func TestAwslogsHook(t *testing.T) {
	f := &fakeLogs{groups: map[string]bool{"/ecs/there": true}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	a := &Agent{cl: &client{base: srv.URL, http: srv.Client()}}
	a.creds = &credentialsAgent{a: a} // no execution role: the agent's own key
	ctx := context.Background()
	hook := func(opts map[string]string) error {
		_, err := a.awslogsHook(ctx, assignmentWith(awslogs(opts)), "app")
		return err
	}

	if err := hook(map[string]string{"awslogs-group": "/ecs/there", "awslogs-stream-prefix": "p"}); err != nil {
		t.Fatalf("existing group: %v", err)
	}
	err := hook(map[string]string{"awslogs-group": "/ecs/missing", "awslogs-stream-prefix": "p"})
	if err == nil || err.Error() != reasonNoLogGroup {
		t.Fatalf("missing group: %v", err)
	}
	if err := hook(map[string]string{"awslogs-group": "/ecs/missing"}); err == nil || err.Error() != reasonNoLogGroup {
		t.Fatalf("missing group, no prefix: %v", err)
	}
	if err := hook(map[string]string{"awslogs-group": "/ecs/new", "awslogs-create-group": "true", "awslogs-stream-prefix": "p"}); err != nil {
		t.Fatalf("create group: %v", err)
	}
	if err := hook(map[string]string{"awslogs-group": "/ecs/new", "awslogs-create-group": "true", "awslogs-stream-prefix": "p"}); err != nil {
		t.Fatalf("create group again (idempotent): %v", err)
	}
	if err := hook(map[string]string{"awslogs-region": "us-east-1"}); err == nil || !strings.Contains(err.Error(), "awslogs-group") {
		t.Fatalf("no group option: %v", err)
	}
	if _, err := a.awslogsHook(ctx, assignmentWith(nil), "app"); err != nil {
		t.Fatalf("no awslogs: %v", err)
	}
	if got := strings.Join(f.calls, " "); got != "CreateLogStream CreateLogStream DescribeLogStreams CreateLogGroup CreateLogStream CreateLogGroup CreateLogStream" {
		t.Fatalf("calls %s", got)
	}
}

func TestEncodePut(t *testing.T) {
	at := time.UnixMilli(1700000000123)
	lines := []string{"plain", `quote " and \ backslash`, "tab\tand\rcontrol\x01\x1f", "unicode é ✓ 😀", "bad utf8 \xff\xfe end", "<html>&"}
	var recs []docker.LogRecord
	for i, l := range lines {
		recs = append(recs, docker.LogRecord{Time: at.Add(time.Duration(i) * time.Millisecond), Line: l})
	}
	body, err := json.Marshal(encodePut("/ecs/g", `s"1`, recs))
	if err != nil {
		t.Fatal(err)
	}
	var got logstypes.PutLogEventsRequest
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	if *got.LogGroupName != "/ecs/g" || *got.LogStreamName != `s"1` || len(got.LogEvents) != len(lines) {
		t.Fatalf("decoded %+v", got)
	}
	for i, e := range got.LogEvents {
		// As encoding/json would have it (each invalid byte becomes U+FFFD).
		var want string
		b, _ := json.Marshal(lines[i])
		_ = json.Unmarshal(b, &want)
		if *e.Message != want || *e.Timestamp != at.UnixMilli()+int64(i) {
			t.Fatalf("event %d: %d %q, want %q", i, *e.Timestamp, *e.Message, want)
		}
	}
}

func TestCheckpoint(t *testing.T) {
	base := time.Unix(1700000000, 0)
	rec := func(ms int, line string) docker.LogRecord {
		return docker.LogRecord{Stream: "stdout", Time: base.Add(time.Duration(ms) * time.Millisecond), Line: line}
	}
	ck := newCheckpoint()
	if !ck.since().IsZero() {
		t.Fatalf("a new checkpoint starts at %v", ck.since())
	}
	ck.add([]docker.LogRecord{rec(0, "a"), rec(100, "b"), rec(130, "c"), rec(130, "c")})
	if !ck.Last.Equal(base.Add(130*time.Millisecond)) || !ck.since().Equal(base.Add(80*time.Millisecond)) {
		t.Fatalf("last %v since %v", ck.Last, ck.since())
	}
	if len(ck.Seen) != 2 { // "a" is older than the window
		t.Fatalf("seen %v", ck.Seen)
	}
	path := filepath.Join(t.TempDir(), "logs", "c.json")
	if err := ck.save(path); err != nil {
		t.Fatal(err)
	}
	back, err := loadCheckpoint(path)
	if err != nil || !back.Last.Equal(ck.Last) || len(back.Seen) != 2 {
		t.Fatalf("loaded %+v %v", back, err)
	}
	// Reading again from since, the lines shipped are skipped once each.
	skip := back.skipSet()
	for _, tc := range []struct {
		r    docker.LogRecord
		want bool
	}{
		{rec(100, "b"), true},
		{rec(100, "b"), false}, // a second, identical line was not shipped
		{rec(130, "c"), true},
		{rec(130, "c"), true},
		{rec(130, "c"), false},
		{docker.LogRecord{Stream: "stderr", Time: base.Add(130 * time.Millisecond), Line: "c"}, false},
		{rec(131, "d"), false},
	} {
		if got := skip.consume(tc.r); got != tc.want {
			t.Fatalf("consume %+v = %v, want %v", tc.r, got, tc.want)
		}
	}
	if missing, err := loadCheckpoint(filepath.Join(t.TempDir(), "none.json")); err != nil || !missing.Last.IsZero() {
		t.Fatalf("missing checkpoint: %+v %v", missing, err)
	}
}
