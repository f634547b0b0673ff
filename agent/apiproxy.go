package agent

import (
	"context"
	"errors"
	"hash/fnv"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/shape"
)

// The API endpoint containers call: code in a task reaches wharf's AWS APIs
// with the SDKs' defaults, as it reaches AWS's in AWS. The control plane
// may listen on loopback, out of a container's reach, so each agent serves
// a reverse proxy to it on the bridge gateway (which every network mode
// reaches) and gives every container AWS_ENDPOINT_URL and AWS_REGION.
// The proxy keeps the Host header the client signed, so wharf verifies the
// SigV4 signature as made; what a call may do is what its signer (the
// task role) may do.
//
// The port is derived from the agent's credentials tag so that it stays the
// same across agent restarts (running containers keep their environment)
// and differs between the wharfs that tests run on one engine; when it is
// taken, any free port is used and new containers get that one.
const (
	apiProxyPortBase  = 40000
	apiProxyPortRange = 10000
)

type apiProxy struct {
	a *Agent

	mu  sync.Mutex
	url string // "" until the proxy listens
}

func newAPIProxy(a *Agent) *apiProxy { return &apiProxy{a: a} }

// preferredPort is the port this agent tries first.
func (p *apiProxy) preferredPort() int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(p.a.id.NodeID))
	return apiProxyPortBase + int(h.Sum32()%apiProxyPortRange)
}

// run serves the proxy on gateway until ctx ends.
func (p *apiProxy) run(ctx context.Context, gateway string) {
	log := p.a.cfg.Log
	target, err := url.Parse(p.a.cfg.Server)
	if err != nil || gateway == "" {
		log.Warn("agent: containers get no AWS_ENDPOINT_URL", "server", p.a.cfg.Server, "gateway", gateway, "err", err)
		return
	}
	ln, err := net.Listen("tcp", net.JoinHostPort(gateway, strconv.Itoa(p.preferredPort())))
	if err != nil {
		ln, err = net.Listen("tcp", net.JoinHostPort(gateway, "0"))
	}
	if err != nil {
		log.Warn("agent: containers get no AWS_ENDPOINT_URL: cannot listen on the bridge gateway", "gateway", gateway, "err", err)
		return
	}
	p.mu.Lock()
	p.url = "http://" + ln.Addr().String()
	p.mu.Unlock()
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host // signed by the client: keep it
		},
		Transport: p.a.cl.http.Transport,
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			log.Warn("agent: API proxy: control plane unreachable", "err", err)
			http.Error(w, "wharf's control plane is unreachable from this host's agent", http.StatusBadGateway)
		},
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Only AWS calls pass: the agent endpoints and wharf's own pages
		// are not for containers.
		if strings.HasPrefix(r.URL.Path, "/_wharf/") {
			http.NotFound(w, r)
			return
		}
		rp.ServeHTTP(w, r)
	}), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("agent: API proxy stopped", "err", err)
	}
	<-done
}

// hook gives every container the endpoint and its task's region, unless
// its definition sets them itself.
func (p *apiProxy) hook(_ context.Context, as agentproto.Assignment, container string) (map[string]string, error) {
	p.mu.Lock()
	endpoint := p.url
	p.mu.Unlock()
	if endpoint == "" {
		return nil, nil
	}
	region := regionOfARN(as.TaskARN)
	env := map[string]string{"AWS_ENDPOINT_URL": endpoint, "AWS_REGION": region, "AWS_DEFAULT_REGION": region}
	for name := range ownEnv(as, container) {
		delete(env, name)
	}
	return env, nil
}

// ownEnv is the set of variables a container's definition and the task's
// overrides name.
func ownEnv(as agentproto.Assignment, container string) map[string]bool {
	own := map[string]bool{}
	for _, cd := range as.Definition.ContainerDefinitions {
		if shape.Deref(cd.Name) != container {
			continue
		}
		for _, kv := range cd.Environment {
			own[shape.Deref(kv.Name)] = true
		}
	}
	if as.Overrides != nil {
		for _, co := range as.Overrides.ContainerOverrides {
			if shape.Deref(co.Name) != container {
				continue
			}
			for _, kv := range co.Environment {
				own[shape.Deref(kv.Name)] = true
			}
		}
	}
	return own
}

// regionOfARN is the region field of an ARN ("" when it has none).
func regionOfARN(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}
