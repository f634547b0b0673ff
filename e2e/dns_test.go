package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/wharfhq/wharf/dataplane/dns"
	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
	"github.com/wharfhq/wharf/server"
)

// dnsWharf is a wharf started as `wharf up --dns-listen 127.0.0.1:PORT`.
type dnsWharf struct {
	srv      *server.Server
	resolver dns.Resolver
}

// startWithDNS runs wharf (with its agent unless noAgent) and its DNS
// server on a free loopback port; it is shut down at the test's end.
func startWithDNS(t testing.TB, noAgent bool) *dnsWharf {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if os.Getenv("WHARF_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	dataDir := t.TempDir()
	t.Cleanup(func() { wharftest.RemoveContainers(t, dataDir) })
	srv, err := server.Start(context.Background(), server.Config{Listen: "127.0.0.1:0", DataDir: dataDir, Log: log,
		NoAgent: noAgent, CleanupAfter: 2 * time.Second, DNSListen: fmt.Sprintf("127.0.0.1:%d", apitest.FreePort(t))})
	if err != nil {
		t.Fatalf("start wharf: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shut down wharf: %v", err)
		}
	})
	d := &dnsWharf{srv: srv}
	deadline := time.Now().Add(30 * time.Second)
	for {
		ready := false
		if resp, err := http.Get(srv.URL() + "/_wharf/health"); err == nil {
			resp.Body.Close()
			ready = resp.StatusCode == http.StatusOK
		}
		if ready {
			if resp, err := http.Get(srv.URL() + "/_wharf/dns"); err == nil {
				err = json.NewDecoder(resp.Body).Decode(&d.resolver)
				resp.Body.Close()
				if err == nil && d.resolver.HostAddr != "" {
					return d
				}
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("wharf with DNS did not become ready within 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (d *dnsWharf) config(region string) aws.Config {
	return aws.Config{Region: region, BaseEndpoint: aws.String(d.srv.URL()),
		Credentials: credentials.NewStaticCredentialsProvider("AKIDWHARFTEST", "secret", ""), RetryMaxAttempts: 1}
}

// cloudMap is a Cloud Map client whose DiscoverInstances stays on wharf's
// host (the SDK would prefix it with "data-").
func (d *dnsWharf) cloudMap() *sd.Client { return cloudMapClient(d.config("us-east-1")) }

// cloudMapClient is a Cloud Map client for cfg whose DiscoverInstances
// stays on wharf's host.
func cloudMapClient(cfg aws.Config) *sd.Client {
	return sd.NewFromConfig(cfg, func(o *sd.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Initialize.Add(middleware.InitializeMiddlewareFunc("wharfNoHostPrefix",
				func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
					return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
				}), middleware.Before)
		})
	})
}

// resolver is a Go resolver asking wharf's DNS server only.
func (d *dnsWharf) hostResolver() *net.Resolver {
	return &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var dl net.Dialer
		return dl.DialContext(ctx, network, d.resolver.HostAddr)
	}}
}

// TestServiceDiscoveryDNS registers two FARGATE tasks in a Cloud Map
// service: wharf's DNS server answers A and SRV for them on the host, a
// task using the DNS server (dnsServers) reaches them by name, and an
// unhealthy instance drops out of the answers.
func TestServiceDiscoveryDNS(t *testing.T) {
	_, imgs := wharftest.Images(t)
	d := startWithDNS(t, false)
	ctx := context.Background()
	c := ecs.NewFromConfig(d.config("us-east-1"))
	cm := d.cloudMap()

	op := apitest.Must(cm.CreatePrivateDnsNamespace(ctx, &sd.CreatePrivateDnsNamespaceInput{Name: aws.String("local"), Vpc: aws.String("vpc-local")}))(t)
	nsID := apitest.Must(cm.GetOperation(ctx, &sd.GetOperationInput{OperationId: op.OperationId}))(t).Operation.Targets["NAMESPACE"]
	svc := apitest.Must(cm.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("web"), NamespaceId: aws.String(nsID),
		DnsConfig:               &sdtypes.DnsConfig{DnsRecords: []sdtypes.DnsRecord{{Type: sdtypes.RecordTypeA, TTL: aws.Int64(1)}, {Type: sdtypes.RecordTypeSrv, TTL: aws.Int64(1)}}},
		HealthCheckCustomConfig: &sdtypes.HealthCheckCustomConfig{}}))(t).Service

	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("sd")}))(t)
	waitInstance(t, c, "sd")
	apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("web"), RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		NetworkMode: types.NetworkModeAwsvpc, Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(imgs.App), Command: []string{"-listen", ":8080"},
			PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}}, DockerLabels: map[string]string{"wharf.test": "1"}}}}))(t)
	type member struct{ id, ip, hostname string }
	var members []member
	for i := range 2 {
		r := apitest.Must(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("sd"), TaskDefinition: aws.String("web"), LaunchType: types.LaunchTypeFargate,
			NetworkConfiguration: awsvpc}))(t)
		tk := waitTask(t, c, "sd", aws.ToString(r.Tasks[0].TaskArn), time.Minute, "RUNNING", running)
		ip := ""
		for _, det := range tk.Attachments[0].Details {
			if aws.ToString(det.Name) == "privateIPv4Address" {
				ip = aws.ToString(det.Value)
			}
		}
		var root struct{ Hostname string }
		getJSON(t, hostURL(t, container(t, tk, "app"), 8080)+"/", &root)
		m := member{id: fmt.Sprintf("task-%d", i+1), ip: ip, hostname: root.Hostname}
		apitest.Must(cm.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: svc.Id, InstanceId: aws.String(m.id),
			Attributes: map[string]string{"AWS_INSTANCE_IPV4": ip, "AWS_INSTANCE_PORT": "8080"}}))(t)
		members = append(members, m)
	}

	r := d.hostResolver()
	lookup := func() []string {
		addrs, err := r.LookupHost(ctx, "web.local")
		if err != nil {
			return []string{err.Error()}
		}
		sort.Strings(addrs)
		return addrs
	}
	eventually := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	want := []string{members[0].ip, members[1].ip}
	sort.Strings(want)
	eventually("A records of both tasks", func() bool { return slices.Equal(lookup(), want) })

	t.Run("SRV", func(t *testing.T) {
		_, srvs, err := r.LookupSRV(ctx, "", "", "web.local")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, s := range srvs {
			got = append(got, fmt.Sprintf("%s:%d", s.Target, s.Port))
		}
		sort.Strings(got)
		if strings.Join(got, ",") != "task-1.web.local.:8080,task-2.web.local.:8080" {
			t.Fatalf("SRV %v", got)
		}
		addrs, err := r.LookupHost(ctx, "task-2.web.local")
		if err != nil || len(addrs) != 1 || addrs[0] != members[1].ip {
			t.Fatalf("SRV target: %v %v", addrs, err)
		}
		if _, err := r.LookupHost(ctx, "nope.local"); err == nil || !strings.Contains(err.Error(), "no such host") {
			t.Fatalf("a name that does not exist: %v", err)
		}
	})

	t.Run("only healthy instances", func(t *testing.T) {
		apitest.Must(cm.UpdateInstanceCustomHealthStatus(ctx, &sd.UpdateInstanceCustomHealthStatusInput{ServiceId: svc.Id,
			InstanceId: aws.String(members[1].id), Status: sdtypes.CustomHealthStatusUnhealthy}))(t)
		eventually("only task-1", func() bool { return slices.Equal(lookup(), []string{members[0].ip}) })
		disc := apitest.Must(cm.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("local"), ServiceName: aws.String("web")}))(t)
		if len(disc.Instances) != 1 || aws.ToString(disc.Instances[0].InstanceId) != members[0].id {
			t.Fatalf("DiscoverInstances %+v", disc.Instances)
		}
	})

	t.Run("a task resolves the service through dnsServers", func(t *testing.T) {
		if dns.BridgeIP() == "" {
			t.Skip("no docker0 bridge on this host")
		}
		if d.resolver.ContainerIP == "" {
			// Another process (another wharf up) may hold the bridge's port 53.
			if c, err := net.ListenPacket("udp", net.JoinHostPort(dns.BridgeIP(), "53")); err != nil {
				t.Skipf("port 53 on the Docker bridge is taken by another process: %v", err)
			} else {
				c.Close()
			}
			t.Fatalf("the DNS server does not answer on the Docker bridge (%s:53); see the server log", dns.BridgeIP())
		}
		apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("client"), NetworkMode: types.NetworkModeBridge,
			ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String(imgs.App), Memory: aws.Int32(32),
				Command: []string{"-listen", ":8080"}, PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}},
				DnsServers: []string{d.resolver.ContainerIP}, DockerLabels: map[string]string{"wharf.test": "1"}}}}))(t)
		r := apitest.Must(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("sd"), TaskDefinition: aws.String("client")}))(t)
		tk := waitTask(t, c, "sd", aws.ToString(r.Tasks[0].TaskArn), time.Minute, "RUNNING", running)
		var root struct{ Hostname string }
		getJSON(t, hostURL(t, container(t, tk, "app"), 8080)+"/fetch?url="+url.QueryEscape("http://web.local:8080/"), &root)
		if root.Hostname != members[0].hostname {
			t.Fatalf("web.local from a task reached %q, want the healthy task %q", root.Hostname, members[0].hostname)
		}
	})
}
