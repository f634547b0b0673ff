package agent

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/runtime/docker"
)

// metadataServer serves the task metadata endpoint v4 on the host's
// address on Docker's bridge, which every task container can reach. Each
// container's URI carries a token naming its task and container, so a
// container learns about its own task only.
type metadataServer struct {
	rt     *docker.Runtime
	node   string
	lookup func(taskARN string) (agentproto.TaskStatus, agentproto.Assignment, bool)
	log    *slog.Logger
	ln     net.Listener
	base   string
	// tokens maps a URI token to its task and container; filled as URIs
	// are handed out, and rebuilt by the same keyed hash after a restart.
	tokens   tokenTable
	tokenKey string // identity.TokenKey
}

func newMetadataServer(rt *docker.Runtime, node string, lookup func(string) (agentproto.TaskStatus, agentproto.Assignment, bool), log *slog.Logger) *metadataServer {
	return &metadataServer{rt: rt, node: node, lookup: lookup, log: log, tokens: tokenTable{m: map[string][2]string{}}}
}

func (m *metadataServer) listen(gateway string) error {
	ln, err := net.Listen("tcp", net.JoinHostPort(gateway, "0"))
	if err != nil {
		return err
	}
	m.ln = ln
	m.base = "http://" + ln.Addr().String() + "/v4/"
	return nil
}

func (m *metadataServer) serve(ctx context.Context) {
	srv := &http.Server{Handler: http.HandlerFunc(m.handle), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(m.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		m.log.Error("agent: metadata endpoint stopped", "err", err)
	}
}

// uri is ECS_CONTAINER_METADATA_URI_V4 for one container of a task.
func (m *metadataServer) uri(taskARN, container string) string {
	tok := metadataToken(m.tokenKey, taskARN, container)
	m.tokens.put(tok, taskARN, container)
	return m.base + tok
}

func (m *metadataServer) handle(w http.ResponseWriter, r *http.Request) {
	r, cancel := detach(r, 30*time.Second)
	defer cancel()
	rest, ok := strings.CutPrefix(r.URL.Path, "/v4/")
	if !ok || r.Method != http.MethodGet {
		http.NotFound(w, r)
		return
	}
	tok, sub, _ := strings.Cut(rest, "/")
	taskARN, container, ok := m.tokens.get(tok)
	var st agentproto.TaskStatus
	var as agentproto.Assignment
	if ok {
		st, as, ok = m.lookup(taskARN)
	}
	if !ok {
		http.Error(w, "unknown task metadata token", http.StatusNotFound)
		return
	}
	ctx := r.Context()
	var body any
	switch sub {
	case "":
		c, found := findContainer(st, container)
		if !found {
			http.NotFound(w, r)
			return
		}
		body = m.containerMeta(ctx, st, c)
	case "task":
		body = m.taskMeta(ctx, st, as)
	case "stats":
		c, found := findContainer(st, container)
		if !found || c.RuntimeId == nil {
			http.NotFound(w, r)
			return
		}
		body = m.stats(ctx, *c.RuntimeId)
	case "task/stats":
		all := map[string]json.RawMessage{}
		for _, c := range st.Containers {
			if c.RuntimeId != nil {
				all[*c.RuntimeId] = m.stats(ctx, *c.RuntimeId)
			}
		}
		body = all
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

func findContainer(st agentproto.TaskStatus, name string) (ecstypes.Container, bool) {
	for _, c := range st.Containers {
		if shape.Deref(c.Name) == name {
			return c, true
		}
	}
	return ecstypes.Container{}, false
}

func (m *metadataServer) stats(ctx context.Context, id string) json.RawMessage {
	s, err := m.rt.Stats(ctx, id)
	if err != nil || len(s.Raw) == 0 {
		return json.RawMessage("null")
	}
	return s.Raw
}

// containerMeta follows the v4 container response's field names.
func (m *metadataServer) containerMeta(ctx context.Context, st agentproto.TaskStatus, c ecstypes.Container) map[string]any {
	out := map[string]any{
		"Name":          shape.Deref(c.Name),
		"Image":         shape.Deref(c.Image),
		"ImageID":       shape.Deref(c.ImageDigest),
		"DesiredStatus": "RUNNING",
		"KnownStatus":   shape.Deref(c.LastStatus),
		"Type":          "NORMAL",
		"ContainerARN":  shape.Deref(c.ContainerArn),
	}
	if st.LastStatus == model.TaskStopped || shape.Deref(c.LastStatus) == "STOPPED" {
		out["DesiredStatus"] = "STOPPED"
	}
	if c.ExitCode != nil {
		out["ExitCode"] = *c.ExitCode
	}
	if c.RuntimeId != nil {
		out["DockerId"] = *c.RuntimeId
		if cs, err := m.rt.InspectContainer(ctx, *c.RuntimeId); err == nil {
			out["DockerName"] = cs.Name
			out["Labels"] = cs.Labels
			out["ImageID"] = cs.ImageID
			out["CreatedAt"] = cs.CreatedAt
			if !cs.StartedAt.IsZero() {
				out["StartedAt"] = cs.StartedAt
			}
			var nets []map[string]any
			for mode, ip := range cs.Networks {
				nets = append(nets, map[string]any{"NetworkMode": mode, "IPv4Addresses": []string{ip}})
			}
			for _, ni := range c.NetworkInterfaces {
				nets = []map[string]any{{"NetworkMode": "awsvpc", "IPv4Addresses": []string{shape.Deref(ni.PrivateIpv4Address)}}}
			}
			out["Networks"] = nets
		}
	}
	if c.Cpu != nil || c.Memory != nil {
		cpu, _ := strconv.Atoi(shape.Deref(c.Cpu))
		mem, _ := strconv.Atoi(shape.Deref(c.Memory))
		out["Limits"] = map[string]any{"CPU": cpu, "Memory": mem}
	}
	return out
}

// taskMeta follows the v4 task response's field names.
func (m *metadataServer) taskMeta(ctx context.Context, st agentproto.TaskStatus, as agentproto.Assignment) map[string]any {
	containers := []map[string]any{}
	for _, c := range st.Containers {
		containers = append(containers, m.containerMeta(ctx, st, c))
	}
	td := as.Definition
	out := map[string]any{
		"Cluster":       st.ClusterARN,
		"TaskARN":       st.TaskARN,
		"Family":        shape.Deref(td.Family),
		"Revision":      strconv.Itoa(int(td.Revision)),
		"DesiredStatus": as.DesiredStatus,
		"KnownStatus":   st.LastStatus,
		"Containers":    containers,
		"LaunchType":    string(as.LaunchType),
	}
	if td.Cpu != nil || td.Memory != nil {
		cpu, _ := strconv.Atoi(shape.Deref(td.Cpu))
		mem, _ := strconv.Atoi(shape.Deref(td.Memory))
		out["Limits"] = map[string]any{"CPU": float64(cpu) / 1024, "Memory": mem}
	}
	if !st.PullStartedAt.IsZero() {
		out["PullStartedAt"] = st.PullStartedAt
	}
	if !st.PullStoppedAt.IsZero() {
		out["PullStoppedAt"] = st.PullStoppedAt
	}
	if a, ok := model.ParseARN(st.TaskARN); ok {
		out["AvailabilityZone"] = a.Region + "a"
	}
	return out
}

// detach gives r a context that does not end when the client shuts its
// side of the connection: net/http cancels r.Context() when it reads EOF
// there, which a client that half-closes after its request (busybox nc in
// a container: write, shutdown(SHUT_WR), read) causes while the answer is
// being made. The work is bounded by d instead.
func detach(r *http.Request, d time.Duration) (*http.Request, context.CancelFunc) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), d)
	return r.WithContext(ctx), cancel
}
