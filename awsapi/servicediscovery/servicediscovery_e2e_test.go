package servicediscovery_test

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	"github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

// noHostPrefix keeps DiscoverInstances on the endpoint's own host: the SDK
// would send it to "data-" + host (data-127.0.0.1), AWS's data-plane
// endpoint, which a local endpoint does not have.
func noHostPrefix(o *sd.Options) {
	o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
		return s.Initialize.Add(middleware.InitializeMiddlewareFunc("wharfNoHostPrefix",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
			}), middleware.Before)
	})
}

func client(w *wharftest.Wharf, region string) *sd.Client {
	return apitest.Client(w, region, sd.NewFromConfig, noHostPrefix)
}

// namespaceOf follows a Create*Namespace operation to the namespace id.
func namespaceOf(t *testing.T, c *sd.Client, opID *string) string {
	t.Helper()
	op := apitest.Must(c.GetOperation(context.Background(), &sd.GetOperationInput{OperationId: opID}))(t).Operation
	if op.Status != types.OperationStatusSuccess || op.Type != types.OperationTypeCreateNamespace || op.CreateDate == nil {
		t.Fatalf("operation %+v", op)
	}
	return op.Targets["NAMESPACE"]
}

var (
	nsARNRE  = regexp.MustCompile(`^arn:aws:servicediscovery:us-east-1:000000000000:namespace/ns-[a-z0-9]{16}$`)
	svcARNRE = regexp.MustCompile(`^arn:aws:servicediscovery:us-east-1:000000000000:service/srv-[a-z0-9]{16}$`)
)

func TestNamespaces(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := client(w, "us-east-1"), context.Background()

	op := apitest.Must(c.CreatePrivateDnsNamespace(ctx, &sd.CreatePrivateDnsNamespaceInput{Name: aws.String("local"), Vpc: aws.String("vpc-1"),
		CreatorRequestId: aws.String("req-1"), Description: aws.String("private"), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}))(t)
	privID := namespaceOf(t, c, op.OperationId)
	priv := apitest.Must(c.GetNamespace(ctx, &sd.GetNamespaceInput{Id: aws.String(privID)}))(t).Namespace
	if priv.Type != types.NamespaceTypeDnsPrivate || !nsARNRE.MatchString(aws.ToString(priv.Arn)) || aws.ToString(priv.Name) != "local" ||
		aws.ToString(priv.Properties.DnsProperties.HostedZoneId) == "" || aws.ToInt64(priv.Properties.DnsProperties.SOA.TTL) != 15 ||
		aws.ToString(priv.Properties.HttpProperties.HttpName) != "local" || aws.ToInt32(priv.ServiceCount) != 0 || priv.CreateDate == nil {
		t.Fatalf("namespace %+v", priv)
	}
	t.Run("a retry answers the same operation", func(t *testing.T) {
		again := apitest.Must(c.CreatePrivateDnsNamespace(ctx, &sd.CreatePrivateDnsNamespaceInput{Name: aws.String("local"), Vpc: aws.String("vpc-1"), CreatorRequestId: aws.String("req-1")}))(t)
		if aws.ToString(again.OperationId) != aws.ToString(op.OperationId) {
			t.Fatal("a retry with the same CreatorRequestId made another operation")
		}
		_, err := c.CreatePrivateDnsNamespace(ctx, &sd.CreatePrivateDnsNamespaceInput{Name: aws.String("local"), Vpc: aws.String("vpc-1")})
		apitest.WantCodeStatus(t, err, "NamespaceAlreadyExists", 400)
		_, err = c.CreatePrivateDnsNamespace(ctx, &sd.CreatePrivateDnsNamespaceInput{Name: aws.String("bad name!"), Vpc: aws.String("vpc-1")})
		apitest.WantCodeStatus(t, err, "InvalidInput", 400)
	})
	httpID := namespaceOf(t, c, apitest.Must(c.CreateHttpNamespace(ctx, &sd.CreateHttpNamespaceInput{Name: aws.String("apps")}))(t).OperationId)
	pubID := namespaceOf(t, c, apitest.Must(c.CreatePublicDnsNamespace(ctx, &sd.CreatePublicDnsNamespaceInput{Name: aws.String("example.test"),
		Properties: &types.PublicDnsNamespaceProperties{DnsProperties: &types.PublicDnsPropertiesMutable{SOA: &types.SOA{TTL: aws.Int64(60)}}}}))(t).OperationId)

	t.Run("list and filter", func(t *testing.T) {
		all := apitest.Must(c.ListNamespaces(ctx, &sd.ListNamespacesInput{}))(t).Namespaces
		if len(all) != 3 {
			t.Fatalf("%d namespaces", len(all))
		}
		byType := apitest.Must(c.ListNamespaces(ctx, &sd.ListNamespacesInput{Filters: []types.NamespaceFilter{{Name: types.NamespaceFilterNameType, Values: []string{"HTTP"}}}}))(t).Namespaces
		if len(byType) != 1 || aws.ToString(byType[0].Id) != httpID {
			t.Fatalf("HTTP namespaces %+v", byType)
		}
		byName := apitest.Must(c.ListNamespaces(ctx, &sd.ListNamespacesInput{Filters: []types.NamespaceFilter{{Name: types.NamespaceFilterNameName, Values: []string{"example.test"}}}}))(t).Namespaces
		if len(byName) != 1 || aws.ToString(byName[0].Id) != pubID || aws.ToInt64(byName[0].Properties.DnsProperties.SOA.TTL) != 60 {
			t.Fatalf("by name %+v", byName)
		}
		p := sd.NewListNamespacesPaginator(c, &sd.ListNamespacesInput{MaxResults: aws.Int32(1)})
		n := 0
		for p.HasMorePages() {
			n += len(apitest.Must(p.NextPage(ctx))(t).Namespaces)
		}
		if n != 3 {
			t.Fatalf("paged %d", n)
		}
	})
	t.Run("errors", func(t *testing.T) {
		_, err := c.GetNamespace(ctx, &sd.GetNamespaceInput{Id: aws.String("ns-nope")})
		apitest.WantCodeStatus(t, err, "NamespaceNotFound", 404)
		_, err = c.GetOperation(ctx, &sd.GetOperationInput{OperationId: aws.String("nope")})
		apitest.WantCodeStatus(t, err, "OperationNotFound", 404)
		_, err = client(w, "eu-west-1").GetNamespace(ctx, &sd.GetNamespaceInput{Id: aws.String(privID)})
		apitest.WantCodeStatus(t, err, "NamespaceNotFound", 404)
	})
	t.Run("operations", func(t *testing.T) {
		ops := apitest.Must(c.ListOperations(ctx, &sd.ListOperationsInput{Filters: []types.OperationFilter{{Name: types.OperationFilterNameType, Values: []string{"CREATE_NAMESPACE"}}}}))(t).Operations
		if len(ops) != 3 || ops[0].Status != types.OperationStatusSuccess {
			t.Fatalf("operations %+v", ops)
		}
	})
	t.Run("tags", func(t *testing.T) {
		arn := priv.Arn
		apitest.Must(c.TagResource(ctx, &sd.TagResourceInput{ResourceARN: arn, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}}))(t)
		apitest.Must(c.UntagResource(ctx, &sd.UntagResourceInput{ResourceARN: arn, TagKeys: []string{"k"}}))(t)
		tags := apitest.Must(c.ListTagsForResource(ctx, &sd.ListTagsForResourceInput{ResourceARN: arn}))(t).Tags
		if len(tags) != 1 || aws.ToString(tags[0].Key) != "team" {
			t.Fatalf("tags %+v", tags)
		}
		_, err := c.ListTagsForResource(ctx, &sd.ListTagsForResourceInput{ResourceARN: aws.String(strings.Replace(aws.ToString(arn), privID, "ns-0000000000000000", 1))})
		apitest.WantCodeStatus(t, err, "ResourceNotFoundException", 404)
	})
	t.Run("delete", func(t *testing.T) {
		apitest.Must(c.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("svc"), NamespaceId: aws.String(httpID)}))(t)
		_, err := c.DeleteNamespace(ctx, &sd.DeleteNamespaceInput{Id: aws.String(httpID)})
		apitest.WantCodeStatus(t, err, "ResourceInUse", 409)
		del := apitest.Must(c.DeleteNamespace(ctx, &sd.DeleteNamespaceInput{Id: aws.String(pubID)}))(t)
		if op := apitest.Must(c.GetOperation(ctx, &sd.GetOperationInput{OperationId: del.OperationId}))(t).Operation; op.Type != types.OperationTypeDeleteNamespace || op.Status != types.OperationStatusSuccess {
			t.Fatalf("delete operation %+v", op)
		}
		_, err = c.GetNamespace(ctx, &sd.GetNamespaceInput{Id: aws.String(pubID)})
		apitest.WantCodeStatus(t, err, "NamespaceNotFound", 404)
	})
}

func TestServicesAndInstances(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := client(w, "us-east-1"), context.Background()
	nsID := namespaceOf(t, c, apitest.Must(c.CreatePrivateDnsNamespace(ctx, &sd.CreatePrivateDnsNamespaceInput{Name: aws.String("local"), Vpc: aws.String("vpc-1")}))(t).OperationId)
	httpID := namespaceOf(t, c, apitest.Must(c.CreateHttpNamespace(ctx, &sd.CreateHttpNamespaceInput{Name: aws.String("apps")}))(t).OperationId)

	svc := apitest.Must(c.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("web"), NamespaceId: aws.String(nsID),
		DnsConfig:               &types.DnsConfig{DnsRecords: []types.DnsRecord{{Type: types.RecordTypeA, TTL: aws.Int64(10)}, {Type: types.RecordTypeSrv, TTL: aws.Int64(10)}}},
		HealthCheckCustomConfig: &types.HealthCheckCustomConfig{}}))(t).Service
	svcID := aws.ToString(svc.Id)
	if !svcARNRE.MatchString(aws.ToString(svc.Arn)) || svc.Type != types.ServiceTypeDnsHttp || svc.DnsConfig.RoutingPolicy != types.RoutingPolicyMultivalue ||
		aws.ToString(svc.NamespaceId) != nsID || svc.HealthCheckCustomConfig == nil || aws.ToInt32(svc.InstanceCount) != 0 {
		t.Fatalf("service %+v", svc)
	}

	t.Run("service errors", func(t *testing.T) {
		_, err := c.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("web"), NamespaceId: aws.String(nsID),
			DnsConfig: &types.DnsConfig{DnsRecords: []types.DnsRecord{{Type: types.RecordTypeA, TTL: aws.Int64(10)}}}})
		apitest.WantCodeStatus(t, err, "ServiceAlreadyExists", 400)
		_, err = c.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("x"), NamespaceId: aws.String("ns-nope")})
		apitest.WantCodeStatus(t, err, "NamespaceNotFound", 404)
		_, err = c.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("x"), NamespaceId: aws.String(httpID),
			DnsConfig: &types.DnsConfig{DnsRecords: []types.DnsRecord{{Type: types.RecordTypeA, TTL: aws.Int64(10)}}}})
		apitest.WantCodeStatus(t, err, "InvalidInput", 400)
		_, err = c.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("x"), NamespaceId: aws.String(nsID),
			DnsConfig: &types.DnsConfig{DnsRecords: []types.DnsRecord{{Type: types.RecordTypeCname, TTL: aws.Int64(10)}}}})
		apitest.WantCodeStatus(t, err, "InvalidInput", 400) // CNAME needs WEIGHTED
		_, err = c.GetService(ctx, &sd.GetServiceInput{Id: aws.String("srv-nope")})
		apitest.WantCodeStatus(t, err, "ServiceNotFound", 404)
	})

	t.Run("register", func(t *testing.T) {
		for i, attrs := range []map[string]string{
			{"AWS_INSTANCE_IPV4": "10.0.0.1", "AWS_INSTANCE_PORT": "8080", "ECS_CLUSTER_NAME": "prod"},
			{"AWS_INSTANCE_IPV4": "10.0.0.2", "AWS_INSTANCE_PORT": "8080", "ECS_CLUSTER_NAME": "dev"},
			{"AWS_INSTANCE_IPV4": "10.0.0.3", "AWS_INSTANCE_PORT": "8080", "AWS_INIT_HEALTH_STATUS": "UNHEALTHY"},
		} {
			op := apitest.Must(c.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: aws.String(svcID), InstanceId: aws.String(fmt.Sprintf("i-%d", i+1)), Attributes: attrs}))(t)
			if got := apitest.Must(c.GetOperation(ctx, &sd.GetOperationInput{OperationId: op.OperationId}))(t).Operation; got.Type != types.OperationTypeRegisterInstance || got.Targets["INSTANCE"] != fmt.Sprintf("i-%d", i+1) {
				t.Fatalf("operation %+v", got)
			}
		}
		_, err := c.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: aws.String(svcID), InstanceId: aws.String("i-9"), Attributes: map[string]string{"AWS_INSTANCE_IPV4": "10.0.0.9"}})
		apitest.WantCodeStatus(t, err, "InvalidInput", 400) // SRV needs a port
		_, err = c.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: aws.String(svcID), InstanceId: aws.String("i-9"), Attributes: map[string]string{"AWS_INSTANCE_IPV4": "300.1.1.1", "AWS_INSTANCE_PORT": "1"}})
		apitest.WantCodeStatus(t, err, "InvalidInput", 400)
		_, err = c.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: aws.String("srv-nope"), InstanceId: aws.String("i-9"), Attributes: map[string]string{}})
		apitest.WantCodeStatus(t, err, "ServiceNotFound", 404)
		if n := aws.ToInt32(apitest.Must(c.GetService(ctx, &sd.GetServiceInput{Id: aws.String(svcID)}))(t).Service.InstanceCount); n != 3 {
			t.Fatalf("InstanceCount %d", n)
		}
	})

	ids := func(in []types.HttpInstanceSummary) string {
		var out []string
		for _, i := range in {
			out = append(out, aws.ToString(i.InstanceId)+"="+string(i.HealthStatus))
		}
		sort.Strings(out)
		return strings.Join(out, ",")
	}
	t.Run("discover", func(t *testing.T) {
		d := apitest.Must(c.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("local"), ServiceName: aws.String("web")}))(t)
		if ids(d.Instances) != "i-1=HEALTHY,i-2=HEALTHY" || aws.ToInt64(d.InstancesRevision) == 0 {
			t.Fatalf("healthy: %s rev %d", ids(d.Instances), aws.ToInt64(d.InstancesRevision))
		}
		if aws.ToString(d.Instances[0].NamespaceName) != "local" || aws.ToString(d.Instances[0].ServiceName) != "web" || d.Instances[0].Attributes["AWS_INSTANCE_PORT"] != "8080" {
			t.Fatalf("summary %+v", d.Instances[0])
		}
		all := apitest.Must(c.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("local"), ServiceName: aws.String("web"), HealthStatus: types.HealthStatusFilterAll}))(t)
		unhealthy := apitest.Must(c.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("local"), ServiceName: aws.String("web"), HealthStatus: types.HealthStatusFilterUnhealthy}))(t)
		prod := apitest.Must(c.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("local"), ServiceName: aws.String("web"),
			QueryParameters: map[string]string{"ECS_CLUSTER_NAME": "prod"}}))(t)
		opt := apitest.Must(c.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("local"), ServiceName: aws.String("web"),
			OptionalParameters: map[string]string{"ECS_CLUSTER_NAME": "staging"}}))(t)
		if ids(all.Instances) != "i-1=HEALTHY,i-2=HEALTHY,i-3=UNHEALTHY" || ids(unhealthy.Instances) != "i-3=UNHEALTHY" ||
			ids(prod.Instances) != "i-1=HEALTHY" || ids(opt.Instances) != "i-1=HEALTHY,i-2=HEALTHY" {
			t.Fatalf("all %s unhealthy %s prod %s optional %s", ids(all.Instances), ids(unhealthy.Instances), ids(prod.Instances), ids(opt.Instances))
		}
		one := apitest.Must(c.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("local"), ServiceName: aws.String("web"), MaxResults: aws.Int32(1)}))(t)
		if len(one.Instances) != 1 {
			t.Fatalf("MaxResults 1: %d", len(one.Instances))
		}
		_, err := c.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("nope"), ServiceName: aws.String("web")})
		apitest.WantCodeStatus(t, err, "NamespaceNotFound", 404)
		_, err = c.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("local"), ServiceName: aws.String("nope")})
		apitest.WantCodeStatus(t, err, "ServiceNotFound", 404)
	})

	t.Run("custom health", func(t *testing.T) {
		before := aws.ToInt64(apitest.Must(c.DiscoverInstancesRevision(ctx, &sd.DiscoverInstancesRevisionInput{NamespaceName: aws.String("local"), ServiceName: aws.String("web")}))(t).InstancesRevision)
		apitest.Must(c.UpdateInstanceCustomHealthStatus(ctx, &sd.UpdateInstanceCustomHealthStatusInput{ServiceId: aws.String(svcID), InstanceId: aws.String("i-3"), Status: types.CustomHealthStatusHealthy}))(t)
		apitest.Must(c.UpdateInstanceCustomHealthStatus(ctx, &sd.UpdateInstanceCustomHealthStatusInput{ServiceId: aws.String(svcID), InstanceId: aws.String("i-1"), Status: types.CustomHealthStatusUnhealthy}))(t)
		after := aws.ToInt64(apitest.Must(c.DiscoverInstancesRevision(ctx, &sd.DiscoverInstancesRevisionInput{NamespaceName: aws.String("local"), ServiceName: aws.String("web")}))(t).InstancesRevision)
		if after <= before {
			t.Fatalf("revision %d → %d", before, after)
		}
		status := apitest.Must(c.GetInstancesHealthStatus(ctx, &sd.GetInstancesHealthStatusInput{ServiceId: aws.String(svcID)}))(t).Status
		if status["i-1"] != types.HealthStatusUnhealthy || status["i-3"] != types.HealthStatusHealthy || len(status) != 3 {
			t.Fatalf("status %v", status)
		}
		_, err := c.UpdateInstanceCustomHealthStatus(ctx, &sd.UpdateInstanceCustomHealthStatusInput{ServiceId: aws.String(svcID), InstanceId: aws.String("i-9"), Status: types.CustomHealthStatusHealthy})
		apitest.WantCodeStatus(t, err, "InstanceNotFound", 404)
		plain := apitest.Must(c.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("plain"), NamespaceId: aws.String(httpID)}))(t).Service
		apitest.Must(c.RegisterInstance(ctx, &sd.RegisterInstanceInput{ServiceId: plain.Id, InstanceId: aws.String("p1"), Attributes: map[string]string{"color": "blue"}}))(t)
		_, err = c.UpdateInstanceCustomHealthStatus(ctx, &sd.UpdateInstanceCustomHealthStatusInput{ServiceId: plain.Id, InstanceId: aws.String("p1"), Status: types.CustomHealthStatusHealthy})
		apitest.WantCodeStatus(t, err, "CustomHealthNotFound", 404)
		// Without health checks every instance is served, health UNKNOWN.
		d := apitest.Must(c.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("apps"), ServiceName: aws.String("plain")}))(t)
		if ids(d.Instances) != "p1=UNKNOWN" {
			t.Fatalf("%s", ids(d.Instances))
		}
	})

	t.Run("list and get", func(t *testing.T) {
		list := apitest.Must(c.ListInstances(ctx, &sd.ListInstancesInput{ServiceId: aws.String(svcID)}))(t).Instances
		if len(list) != 3 || aws.ToString(list[0].Id) != "i-1" || list[0].Attributes["AWS_INSTANCE_IPV4"] != "10.0.0.1" {
			t.Fatalf("list %+v", list)
		}
		inst := apitest.Must(c.GetInstance(ctx, &sd.GetInstanceInput{ServiceId: aws.String(svcID), InstanceId: aws.String("i-2")}))(t).Instance
		if aws.ToString(inst.Id) != "i-2" || inst.Attributes["ECS_CLUSTER_NAME"] != "dev" {
			t.Fatalf("instance %+v", inst)
		}
		_, err := c.GetInstance(ctx, &sd.GetInstanceInput{ServiceId: aws.String(svcID), InstanceId: aws.String("i-9")})
		apitest.WantCodeStatus(t, err, "InstanceNotFound", 404)
		services := apitest.Must(c.ListServices(ctx, &sd.ListServicesInput{Filters: []types.ServiceFilter{{Name: types.ServiceFilterNameNamespaceId, Values: []string{nsID}}}}))(t).Services
		if len(services) != 1 || aws.ToString(services[0].Id) != svcID || aws.ToInt32(services[0].InstanceCount) != 3 {
			t.Fatalf("services %+v", services)
		}
	})

	t.Run("update service", func(t *testing.T) {
		op := apitest.Must(c.UpdateService(ctx, &sd.UpdateServiceInput{Id: aws.String(svcID), Service: &types.ServiceChange{Description: aws.String("new"),
			DnsConfig: &types.DnsConfigChange{DnsRecords: []types.DnsRecord{{Type: types.RecordTypeA, TTL: aws.Int64(30)}, {Type: types.RecordTypeSrv, TTL: aws.Int64(30)}}}}}))(t)
		if aws.ToString(op.OperationId) == "" {
			t.Fatal("no operation")
		}
		got := apitest.Must(c.GetService(ctx, &sd.GetServiceInput{Id: aws.String(svcID)}))(t).Service
		if aws.ToString(got.Description) != "new" || aws.ToInt64(got.DnsConfig.DnsRecords[0].TTL) != 30 {
			t.Fatalf("updated %+v", got)
		}
	})

	t.Run("deregister and delete", func(t *testing.T) {
		_, err := c.DeleteService(ctx, &sd.DeleteServiceInput{Id: aws.String(svcID)})
		apitest.WantCodeStatus(t, err, "ResourceInUse", 409)
		for _, id := range []string{"i-1", "i-2", "i-3"} {
			apitest.Must(c.DeregisterInstance(ctx, &sd.DeregisterInstanceInput{ServiceId: aws.String(svcID), InstanceId: aws.String(id)}))(t)
		}
		_, err = c.DeregisterInstance(ctx, &sd.DeregisterInstanceInput{ServiceId: aws.String(svcID), InstanceId: aws.String("i-1")})
		apitest.WantCodeStatus(t, err, "InstanceNotFound", 404)
		apitest.Must(c.DeleteService(ctx, &sd.DeleteServiceInput{Id: aws.String(svcID)}))(t)
		_, err = c.GetService(ctx, &sd.GetServiceInput{Id: aws.String(svcID)})
		apitest.WantCodeStatus(t, err, "ServiceNotFound", 404)
		if n := aws.ToInt32(apitest.Must(c.GetNamespace(ctx, &sd.GetNamespaceInput{Id: aws.String(nsID)}))(t).Namespace.ServiceCount); n != 0 {
			t.Fatalf("ServiceCount %d", n)
		}
	})
}

// TestDiscoverInstancesHost shows why clients need noHostPrefix: without
// it the SDK sends DiscoverInstances to data-127.0.0.1, which does not
// resolve; wharf itself answers the call on its one port whatever the Host.
func TestDiscoverInstancesHost(t *testing.T) {
	w := wharftest.Start(t)
	ctx := context.Background()
	plain := sd.NewFromConfig(w.Config("us-east-1"), func(o *sd.Options) {
		o.HTTPClient = &http.Client{Transport: hostRecorder{}}
		o.Retryer = aws.NopRetryer{}
	})
	_, err := plain.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("a"), ServiceName: aws.String("b")})
	if err == nil || !strings.Contains(err.Error(), "data-127.0.0.1") {
		t.Fatalf("without noHostPrefix: %v", err)
	}
	req, _ := http.NewRequest(http.MethodPost, w.URL()+"/", strings.NewReader(`{"NamespaceName":"a","ServiceName":"b"}`))
	req.Host = "data-servicediscovery.us-east-1.amazonaws.com"
	req.Header.Set("X-Amz-Target", "Route53AutoNaming_v20170314.DiscoverInstances")
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 || resp.Header.Get("X-Amzn-ErrorType") != "NamespaceNotFound" {
		t.Fatalf("with a data- host: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
}

// hostRecorder fails every request, naming the host it was sent to.
type hostRecorder struct{}

func (hostRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, fmt.Errorf("sent to %s", r.URL.Host)
}
