package docker

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/docker/go-connections/nat"
)

// These tests need no engine.

func TestToDocker(t *testing.T) {
	init := true
	cfg, hc, err := toDocker(ContainerSpec{
		Image:             "img",
		Entrypoint:        []string{"/testapp"},
		Command:           []string{"-listen", ":8080"},
		Env:               map[string]string{"B": "2", "A": "1"},
		CPUShares:         512,
		Memory:            64 << 20,
		MemoryReservation: 32 << 20,
		Ulimits:           []Ulimit{{Name: "nofile", Soft: 100, Hard: 200}},
		Init:              init,
		NetworkMode:       "container:abc",
		Ports: []PortBinding{
			{ContainerPort: 8080, HostIP: "127.0.0.1"},
			{ContainerPort: 53, Protocol: "udp", HostPort: 5353},
		},
		Mounts: []Mount{
			{Source: "/host/dir", Target: "/data", ReadOnly: true},
			{Source: "myvol", Target: "/vol"},
			{Target: "/anon"},
		},
		Healthcheck: &Healthcheck{Test: []string{"CMD", "true"}, Interval: time.Second, Retries: 3},
		StopTimeout: 1500 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Env, []string{"A=1", "B=2"}) {
		t.Errorf("env = %v", cfg.Env)
	}
	if hc.CPUShares != 512 || hc.Memory != 64<<20 || hc.MemoryReservation != 32<<20 {
		t.Errorf("resources = %d %d %d", hc.CPUShares, hc.Memory, hc.MemoryReservation)
	}
	if len(hc.Ulimits) != 1 || hc.Ulimits[0].Soft != 100 || hc.Init == nil || !*hc.Init {
		t.Errorf("ulimits/init = %v %v", hc.Ulimits, hc.Init)
	}
	if string(hc.NetworkMode) != "container:abc" {
		t.Errorf("network mode = %s", hc.NetworkMode)
	}
	if b := hc.PortBindings[nat.Port("8080/tcp")]; len(b) != 1 || b[0].HostIP != "127.0.0.1" || b[0].HostPort != "" {
		t.Errorf("8080/tcp bindings = %v", b)
	}
	if b := hc.PortBindings[nat.Port("53/udp")]; len(b) != 1 || b[0].HostPort != "5353" {
		t.Errorf("53/udp bindings = %v", b)
	}
	if _, ok := cfg.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("exposed = %v", cfg.ExposedPorts)
	}
	if !slices.Equal(hc.Binds, []string{"/host/dir:/data:ro", "myvol:/vol"}) {
		t.Errorf("binds = %v", hc.Binds)
	}
	if _, ok := cfg.Volumes["/anon"]; !ok {
		t.Errorf("volumes = %v", cfg.Volumes)
	}
	if cfg.Healthcheck == nil || cfg.Healthcheck.Retries != 3 || cfg.Healthcheck.Interval != time.Second {
		t.Errorf("healthcheck = %+v", cfg.Healthcheck)
	}
	if cfg.StopTimeout == nil || *cfg.StopTimeout != 2 {
		t.Errorf("stop timeout = %v", cfg.StopTimeout)
	}
	if _, _, err := toDocker(ContainerSpec{Ports: []PortBinding{{ContainerPort: 1, Protocol: "bogus"}}}); err == nil {
		t.Error("bad protocol accepted")
	}
}

func frame(stream byte, payload string) []byte {
	hdr := make([]byte, 8)
	hdr[0] = stream
	binary.BigEndian.PutUint32(hdr[4:], uint32(len(payload)))
	return append(hdr, payload...)
}

func TestLogReader(t *testing.T) {
	var buf bytes.Buffer
	buf.Write(frame(1, "2024-05-01T10:00:00.000000001Z hello\n"))
	buf.Write(frame(2, "2024-05-01T10:00:00.5Z oops\n2024-05-01T10:00:01Z again\n"))
	buf.Write(frame(1, "2024-05-01T10:00:02Z no newline"))
	recs := readAll(t, NewLogReader(&buf))
	want := []LogRecord{
		{"stdout", time.Date(2024, 5, 1, 10, 0, 0, 1, time.UTC), "hello"},
		{"stderr", time.Date(2024, 5, 1, 10, 0, 0, 5e8, time.UTC), "oops"},
		{"stderr", time.Date(2024, 5, 1, 10, 0, 1, 0, time.UTC), "again"},
		{"stdout", time.Date(2024, 5, 1, 10, 0, 2, 0, time.UTC), "no newline"},
	}
	if len(recs) != len(want) {
		t.Fatalf("got %d records: %+v", len(recs), recs)
	}
	for i := range want {
		if recs[i].Stream != want[i].Stream || !recs[i].Time.Equal(want[i].Time) || recs[i].Line != want[i].Line {
			t.Errorf("record %d = %+v, want %+v", i, recs[i], want[i])
		}
	}
	_, err := NewLogReader(bytes.NewReader(frame(1, "x")[:5])).Next()
	if err == nil || errors.Is(err, io.EOF) {
		t.Errorf("truncated header: err = %v", err)
	}
}

func TestPullErrorText(t *testing.T) {
	err := error(&PullError{Ref: "x", Err: errors.New("manifest unknown")})
	if err.Error() != "CannotPullContainerError: manifest unknown" {
		t.Errorf("text = %q", err.Error())
	}
}
