package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	sd "github.com/aws/aws-sdk-go-v2/service/servicediscovery"
	sdtypes "github.com/aws/aws-sdk-go-v2/service/servicediscovery/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
	"github.com/wharfhq/wharf/testkit/images"
)

// fargateWeb registers a FARGATE testapp task definition serving :8080.
func fargateWeb(t testing.TB, c *ecs.Client, imgs images.Images, family string, args ...string) string {
	t.Helper()
	out := apitest.Must(c.RegisterTaskDefinition(context.Background(), &ecs.RegisterTaskDefinitionInput{Family: aws.String(family),
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate}, NetworkMode: types.NetworkModeAwsvpc,
		Cpu: aws.String("256"), Memory: aws.String("512"),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("web"), Image: aws.String(imgs.App),
			Command: append([]string{"-listen", ":8080"}, args...), PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}},
			StopTimeout: aws.Int32(2), DockerLabels: map[string]string{"wharf.test": "1"}}}}))(t)
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

// TestServiceBehindLoadBalancer: a 3-task service registers its tasks in
// the target group, every task receives requests, and a rolling deployment
// under a steady request loop drops no request: old tasks are deregistered
// and drained before they stop, new ones take traffic once healthy.
func TestServiceBehindLoadBalancer(t *testing.T) {
	w, c, imgs := startCluster(t, "tr")
	lbc, ctx := elb.NewFromConfig(w.Config("us-east-1")), context.Background()
	tgARN, base := webListener(t, ctx, lbc, "front")

	v1 := fargateWeb(t, c, imgs, "front")
	apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("tr"), ServiceName: aws.String("web"), TaskDefinition: aws.String(v1),
		DesiredCount: aws.Int32(3), LaunchType: types.LaunchTypeFargate, NetworkConfiguration: awsvpc,
		LoadBalancers: []types.LoadBalancer{{TargetGroupArn: tgARN, ContainerName: aws.String("web"), ContainerPort: aws.Int32(8080)}}}))(t)
	waitStable(t, c, "tr", "web", 180*time.Second)
	healthy := func() int {
		n := 0
		for _, d := range apitest.Must(lbc.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: tgARN}))(t).TargetHealthDescriptions {
			if d.TargetHealth.State == elbtypes.TargetHealthStateEnumHealthy {
				n++
			}
		}
		return n
	}
	if n := healthy(); n != 3 {
		t.Fatalf("%d healthy targets after the service became stable, want 3", n)
	}
	if got := hits(t, base, 30, ""); len(got) != 3 {
		t.Fatalf("requests reached %d tasks, want 3: %v", len(got), got)
	}
	_, err := c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("tr"), ServiceName: aws.String("bad"), TaskDefinition: aws.String(v1),
		DesiredCount: aws.Int32(1), LaunchType: types.LaunchTypeFargate, NetworkConfiguration: awsvpc,
		LoadBalancers: []types.LoadBalancer{{TargetGroupArn: tgARN, ContainerName: aws.String("web"), ContainerPort: aws.Int32(9999)}}})
	wantCode(t, err, "InvalidParameterException")

	// A steady, bounded request loop while the service rolls to v2.
	loop := startRequestLoop(t, ctx, base)
	v2 := fargateWeb(t, c, imgs, "front", "-term-delay", "10ms")
	apitest.Must(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("tr"), Service: aws.String("web"), TaskDefinition: aws.String(v2)}))(t)
	waitStable(t, c, "tr", "web", 180*time.Second)
	waitTargets(t, lbc, tgARN, 3, "old targets drained")
	loop.stopNoneFailed(t, "during the rolling deployment")
	s := describeService(t, c, "tr", "web")
	if aws.ToString(s.TaskDefinition) != v2 || healthy() != 3 {
		t.Fatalf("after the update: %s with %d healthy targets", aws.ToString(s.TaskDefinition), healthy())
	}
	if !strings.Contains(eventText(s, 30), "has begun draining connections") {
		t.Fatalf("no draining event: %s", eventText(s, 30))
	}
}

// TestServiceDiscoveryByName: a service with serviceRegistries has its
// tasks registered in Cloud Map, and another task reaches it by name
// (SERVICE.NAMESPACE) through wharf's DNS server, which the agent gives
// every task by default.
func TestServiceDiscoveryByName(t *testing.T) {
	_, imgs := wharftest.Images(t)
	w := wharftest.StartWithAgent(t)
	c, sdc, ctx := w.ECS(), cloudMapClient(w.Config("us-east-1")), context.Background()
	resp, err := http.Get(w.URL() + "/_wharf/dns")
	if err != nil {
		t.Fatal(err)
	}
	var resolver struct{ ContainerIP string }
	_ = json.NewDecoder(resp.Body).Decode(&resolver)
	resp.Body.Close()
	if resolver.ContainerIP == "" {
		t.Fatal("wharf's DNS server does not answer containers (is port 53 on the Docker bridge taken by another wharf?)")
	}
	apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("sd")}))(t)
	op := apitest.Must(sdc.CreatePrivateDnsNamespace(ctx, &sd.CreatePrivateDnsNamespaceInput{Name: aws.String("internal"), Vpc: aws.String("vpc-local")}))(t)
	nsID := apitest.Must(sdc.GetOperation(ctx, &sd.GetOperationInput{OperationId: op.OperationId}))(t).Operation.Targets["NAMESPACE"]
	svc := apitest.Must(sdc.CreateService(ctx, &sd.CreateServiceInput{Name: aws.String("api"), NamespaceId: aws.String(nsID),
		DnsConfig:               &sdtypes.DnsConfig{DnsRecords: []sdtypes.DnsRecord{{Type: sdtypes.RecordTypeA, TTL: aws.Int64(5)}}},
		HealthCheckCustomConfig: &sdtypes.HealthCheckCustomConfig{}}))(t).Service

	api := fargateWeb(t, c, imgs, "api")
	apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("sd"), ServiceName: aws.String("api"), TaskDefinition: aws.String(api),
		DesiredCount: aws.Int32(2), LaunchType: types.LaunchTypeFargate, NetworkConfiguration: awsvpc,
		ServiceRegistries: []types.ServiceRegistry{{RegistryArn: svc.Arn}}}))(t)
	waitStable(t, c, "sd", "api", 180*time.Second)
	waitCondition(t, 60*time.Second, "2 healthy Cloud Map instances", func() bool {
		out, err := sdc.DiscoverInstances(ctx, &sd.DiscoverInstancesInput{NamespaceName: aws.String("internal"), ServiceName: aws.String("api"),
			HealthStatus: sdtypes.HealthStatusFilterHealthy})
		return err == nil && len(out.Instances) == 2
	})

	byNS := apitest.Must(c.ListServicesByNamespace(ctx, &ecs.ListServicesByNamespaceInput{Namespace: aws.String("internal")}))(t)
	if len(byNS.ServiceArns) != 1 || !strings.HasSuffix(byNS.ServiceArns[0], "service/sd/api") {
		t.Fatalf("ListServicesByNamespace: %v", byNS.ServiceArns)
	}

	client := fargateWeb(t, c, imgs, "client")
	run := apitest.Must(c.RunTask(ctx, &ecs.RunTaskInput{Cluster: aws.String("sd"), TaskDefinition: aws.String(client), LaunchType: types.LaunchTypeFargate,
		NetworkConfiguration: awsvpc}))(t)
	task := waitTask(t, c, "sd", aws.ToString(run.Tasks[0].TaskArn), 60*time.Second, "RUNNING", running)
	var answer map[string]any
	getJSON(t, hostURL(t, container(t, task, "web"), 8080)+"/fetch?url="+url.QueryEscape("http://api.internal:8080/"), &answer)
	if answer["hostname"] == nil {
		t.Fatalf("calling api.internal from a task: %v", answer)
	}

	// Scaling in deregisters the instance.
	apitest.Must(c.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("sd"), Service: aws.String("api"), DesiredCount: aws.Int32(1)}))(t)
	waitCondition(t, 60*time.Second, "1 Cloud Map instance", func() bool {
		out, err := sdc.ListInstances(ctx, &sd.ListInstancesInput{ServiceId: svc.Id})
		return err == nil && len(out.Instances) == 1
	})
}
