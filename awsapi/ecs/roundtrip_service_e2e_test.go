package ecs_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/document"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

// serviceNotEchoed lists the members of CreateServiceInput and
// UpdateServiceInput that DescribeServices does not return, each with the
// reason; everything else must come back as sent.
var serviceNotEchoed = map[string]string{
	"CreateServiceInput.ClientToken":        "an idempotency token: ECS keeps it to itself",
	"CreateServiceInput.GatewayConnectors":  "AWS returns it only from DescribeServiceRevisions, which wharf does not serve",
	"CreateServiceInput.Monitoring":         "AWS returns it only from DescribeServiceRevisions, which wharf does not serve",
	"UpdateServiceInput.GatewayConnectors":  "AWS returns it only from DescribeServiceRevisions, which wharf does not serve",
	"UpdateServiceInput.Monitoring":         "AWS returns it only from DescribeServiceRevisions, which wharf does not serve",
	"UpdateServiceInput.ForceNewDeployment": "an action (start a deployment), not a setting",
	// A Classic Load Balancer's name excludes a target group ARN, and wharf
	// serves target groups only.
	"CreateServiceInput.LoadBalancers[].LoadBalancerName": "Classic Load Balancers are not served",
	"UpdateServiceInput.LoadBalancers[].LoadBalancerName": "Classic Load Balancers are not served",
}

// serviceRenamed names the Service member that returns an input member
// under another name (the input takes a name or an ARN, the output says ARN).
var serviceRenamed = map[string]string{"Cluster": "ClusterArn", "Role": "RoleArn", "Service": "ServiceName"}

type rtFixture struct {
	cluster, awsvpcTD, bridgeTD, ipTG, altTG, instanceTG string
}

// setUpServices makes what the services refer to: a cluster with the
// Fargate capacity providers, an awsvpc and a bridge task definition, and
// target groups of both target types.
func setUpServices(t *testing.T, w *wharftest.Wharf) rtFixture {
	c, lb, ctx := w.ECS(), elb.NewFromConfig(w.Config("us-east-1")), context.Background()
	var f rtFixture
	f.cluster = aws.ToString(apitest.Must(c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("rt"),
		CapacityProviders: []string{"FARGATE", "FARGATE_SPOT"}}))(t).Cluster.ClusterArn)
	web := types.ContainerDefinition{Name: aws.String("web"), Image: aws.String("web:1"), Memory: aws.Int32(256),
		PortMappings: []types.PortMapping{{Name: aws.String("web"), ContainerPort: aws.Int32(8080), Protocol: types.TransportProtocolTcp}}}
	f.awsvpcTD = aws.ToString(apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("rt-awsvpc"),
		NetworkMode: types.NetworkModeAwsvpc, RequiresCompatibilities: []types.Compatibility{types.CompatibilityEc2, types.CompatibilityFargate},
		Cpu: aws.String("256"), Memory: aws.String("512"), ContainerDefinitions: []types.ContainerDefinition{web},
		Volumes: []types.Volume{{Name: aws.String("ebs"), ConfiguredAtLaunch: aws.Bool(true)}}}))(t).TaskDefinition.TaskDefinitionArn)
	f.bridgeTD = aws.ToString(apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("rt-bridge"),
		NetworkMode: types.NetworkModeBridge, ContainerDefinitions: []types.ContainerDefinition{web}}))(t).TaskDefinition.TaskDefinitionArn)
	tg := func(name string, tt elbtypes.TargetTypeEnum) string {
		return aws.ToString(apitest.Must(lb.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String(name), Protocol: elbtypes.ProtocolEnumHttp,
			Port: aws.Int32(8080), VpcId: aws.String("vpc-1"), TargetType: tt}))(t).TargetGroups[0].TargetGroupArn)
	}
	f.ipTG, f.altTG, f.instanceTG = tg("rt-ip", elbtypes.TargetTypeEnumIp), tg("rt-alt", elbtypes.TargetTypeEnumIp), tg("rt-inst", elbtypes.TargetTypeEnumInstance)
	return f
}

// deploymentSettings are the members a service keeps per deployment
// (service connect, volumes, VPC Lattice), filled for the fixture's awsvpc
// task definition (its port "web", its volume "ebs").
func deploymentSettings() (*types.ServiceConnectConfiguration, []types.ServiceVolumeConfiguration, []types.VpcLatticeConfiguration) {
	sc := &types.ServiceConnectConfiguration{
		Enabled:   true,
		Namespace: aws.String("arn:aws:servicediscovery:us-east-1:000000000000:namespace/ns-rt"),
		Services: []types.ServiceConnectService{{
			PortName: aws.String("web"), DiscoveryName: aws.String("web-rt"), IngressPortOverride: aws.Int32(15000),
			ClientAliases: []types.ServiceConnectClientAlias{{Port: aws.Int32(80), DnsName: aws.String("web.rt"),
				TestTrafficRules: &types.ServiceConnectTestTrafficRules{Header: &types.ServiceConnectTestTrafficHeaderRules{
					Name: aws.String("x-canary"), Value: &types.ServiceConnectTestTrafficHeaderMatchRules{Exact: aws.String("1")}}}}},
			Timeout: &types.TimeoutConfiguration{IdleTimeoutSeconds: aws.Int32(300), PerRequestTimeoutSeconds: aws.Int32(15)},
			Tls: &types.ServiceConnectTlsConfiguration{KmsKey: aws.String("arn:aws:kms:us-east-1:000000000000:key/k"),
				RoleArn:                    aws.String("arn:aws:iam::000000000000:role/tls"),
				IssuerCertificateAuthority: &types.ServiceConnectTlsCertificateAuthority{AwsPcaAuthorityArn: aws.String("arn:aws:acm-pca:us-east-1:000000000000:certificate-authority/ca")}},
		}},
		LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{"awslogs-group": "sc"},
			SecretOptions: []types.Secret{{Name: aws.String("k"), ValueFrom: aws.String("arn:aws:ssm:us-east-1:000000000000:parameter/k")}}},
		AccessLogConfiguration: &types.ServiceConnectAccessLogConfiguration{Format: types.ServiceConnectAccessLoggingFormatJson,
			IncludeQueryParameters: types.ServiceConnectIncludeQueryParametersEnabled},
		ContainerConfigurations: []types.ServiceConnectContainerConfiguration{&types.ServiceConnectContainerConfigurationMemberLogLevel{Value: types.ServiceConnectContainerLogLevelDebug}},
	}
	vols := []types.ServiceVolumeConfiguration{{Name: aws.String("ebs"), ManagedEBSVolume: &types.ServiceManagedEBSVolumeConfiguration{
		RoleArn: aws.String("arn:aws:iam::000000000000:role/ebs"), Encrypted: aws.Bool(true), FilesystemType: types.TaskFilesystemTypeXfs,
		Iops: aws.Int32(3000), KmsKeyId: aws.String("arn:aws:kms:us-east-1:000000000000:key/ebs"), SizeInGiB: aws.Int32(20),
		SnapshotId: aws.String("snap-1"), Throughput: aws.Int32(125), VolumeInitializationRate: aws.Int32(100), VolumeType: aws.String("gp3"),
		TagSpecifications: []types.EBSTagSpecification{{ResourceType: types.EBSResourceTypeVolume, PropagateTags: types.PropagateTagsService,
			Tags: []types.Tag{{Key: aws.String("vol"), Value: aws.String("rt")}}}},
	}}}
	lattice := []types.VpcLatticeConfiguration{{RoleArn: aws.String("arn:aws:iam::000000000000:role/lattice"), PortName: aws.String("web"),
		TargetGroupArn: aws.String("arn:aws:vpc-lattice:us-east-1:000000000000:targetgroup/tg-1"),
		AdvancedConfiguration: &types.VpcLatticeAdvancedConfiguration{
			AlternateTargetGroupArn: aws.String("arn:aws:vpc-lattice:us-east-1:000000000000:targetgroup/tg-2"),
			ProductionListenerRule:  aws.String("arn:aws:vpc-lattice:us-east-1:000000000000:service/svc-1/listener/l-1/rule/r-1"),
			TestListenerRule:        aws.String("arn:aws:vpc-lattice:us-east-1:000000000000:service/svc-1/listener/l-2/rule/r-2")}}}
	return sc, vols, lattice
}

func linearDeployment() *types.DeploymentConfiguration {
	return &types.DeploymentConfiguration{
		MaximumPercent: aws.Int32(150), MinimumHealthyPercent: aws.Int32(50),
		DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{Enable: true, Rollback: true, ResetOnHealthyTask: aws.Bool(true),
			ThresholdConfiguration: &types.ThresholdConfiguration{Type: types.ThresholdTypeCount, Value: 5}},
		Alarms:              &types.DeploymentAlarms{AlarmNames: []string{"rt-5xx"}, Enable: true, Rollback: true},
		Strategy:            types.DeploymentStrategyLinear,
		BakeTimeInMinutes:   aws.Int32(10),
		LinearConfiguration: &types.LinearConfiguration{StepPercent: aws.Float64(25), StepBakeTimeInMinutes: aws.Int32(5)},
		LifecycleHooks: []types.DeploymentLifecycleHook{{
			HookTargetArn: aws.String("arn:aws:lambda:us-east-1:000000000000:function:hook"), RoleArn: aws.String("arn:aws:iam::000000000000:role/hook"),
			TargetType:      types.DeploymentLifecycleHookTargetTypeAwsLambda,
			LifecycleStages: []types.DeploymentLifecycleHookStage{types.DeploymentLifecycleHookStagePreScaleUp, types.DeploymentLifecycleHookStagePostScaleUp},
			HookDetails:     document.NewLazyDocument(map[string]any{"check": "smoke", "retries": 2}),
			TimeoutConfiguration: &types.DeploymentLifecycleHookTimeoutConfiguration{Action: types.DeploymentLifecycleHookActionRollback,
				TimeoutInMinutes: aws.Int32(30)},
		}},
		EarlySuccessCriteria: &types.DeploymentEarlySuccessCriteria{Enable: true, HealthyPercent: aws.Int32(90),
			SourceServiceRevisionCleanup: types.ServiceRevisionCleanupBlocking},
	}
}

func canaryDeployment() *types.DeploymentConfiguration {
	return &types.DeploymentConfiguration{Strategy: types.DeploymentStrategyCanary,
		CanaryConfiguration: &types.CanaryConfiguration{CanaryPercent: aws.Float64(10), CanaryBakeTimeInMinutes: aws.Int32(5)}}
}

// roundTripServices are creations that together give every member of
// CreateServiceInput a value ECS accepts: on EC2 with placement, on the
// Fargate capacity providers with a platform version, and in bridge mode
// with a service role.
func roundTripServices(f rtFixture) []*ecs.CreateServiceInput {
	sc, vols, lattice := deploymentSettings()
	net := &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"subnet-1", "subnet-2"},
		SecurityGroups: []string{"sg-1"}, AssignPublicIp: types.AssignPublicIpDisabled}}
	registry := "arn:aws:servicediscovery:us-east-1:000000000000:service/srv-rt"
	ec2 := &ecs.CreateServiceInput{
		Cluster: aws.String(f.cluster), ServiceName: aws.String("rt-ec2"), TaskDefinition: aws.String(f.awsvpcTD), ClientToken: aws.String("token-1"),
		DesiredCount: aws.Int32(2), LaunchType: types.LaunchTypeEc2, SchedulingStrategy: types.SchedulingStrategyReplica,
		AvailabilityZoneRebalancing: types.AvailabilityZoneRebalancingDisabled,
		LoadBalancers: []types.LoadBalancer{{TargetGroupArn: aws.String(f.ipTG), ContainerName: aws.String("web"), ContainerPort: aws.Int32(8080),
			AdvancedConfiguration: &types.AdvancedConfiguration{AlternateTargetGroupArn: aws.String(f.altTG),
				ProductionListenerRule: aws.String("arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/lb/1/2/3"),
				TestListenerRule:       aws.String("arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/lb/1/4/5"),
				RoleArn:                aws.String("arn:aws:iam::000000000000:role/bluegreen")}}},
		ServiceRegistries:             []types.ServiceRegistry{{RegistryArn: aws.String(registry), Port: aws.Int32(8080)}},
		DeploymentConfiguration:       linearDeployment(),
		DeploymentController:          &types.DeploymentController{Type: types.DeploymentControllerTypeEcs},
		PlacementConstraints:          []types.PlacementConstraint{{Type: types.PlacementConstraintTypeMemberOf, Expression: aws.String("attribute:ecs.os-type == linux")}},
		PlacementStrategy:             []types.PlacementStrategy{{Type: types.PlacementStrategyTypeSpread, Field: aws.String("attribute:ecs.availability-zone")}},
		NetworkConfiguration:          net,
		HealthCheckGracePeriodSeconds: aws.Int32(60),
		Tags:                          []types.Tag{{Key: aws.String("team"), Value: aws.String("rt")}},
		EnableECSManagedTags:          true,
		PropagateTags:                 types.PropagateTagsService,
		EnableExecuteCommand:          true,
		ServiceConnectConfiguration:   sc,
		VolumeConfigurations:          vols,
		VpcLatticeConfigurations:      lattice,
	}
	fargate := &ecs.CreateServiceInput{
		Cluster: aws.String(f.cluster), ServiceName: aws.String("rt-fargate"), TaskDefinition: aws.String(f.awsvpcTD), DesiredCount: aws.Int32(1),
		CapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE"), Base: 1, Weight: 2},
			{CapacityProvider: aws.String("FARGATE_SPOT"), Weight: 1}},
		PlatformVersion:         aws.String("1.4.0"),
		NetworkConfiguration:    net,
		DeploymentConfiguration: canaryDeployment(),
		ServiceRegistries:       []types.ServiceRegistry{{RegistryArn: aws.String(registry), ContainerName: aws.String("web"), ContainerPort: aws.Int32(8080)}},
	}
	bridge := &ecs.CreateServiceInput{
		Cluster: aws.String(f.cluster), ServiceName: aws.String("rt-bridge"), TaskDefinition: aws.String(f.bridgeTD), DesiredCount: aws.Int32(1),
		LaunchType: types.LaunchTypeEc2, Role: aws.String("arn:aws:iam::000000000000:role/ecsServiceRole"),
		LoadBalancers: []types.LoadBalancer{{TargetGroupArn: aws.String(f.instanceTG), ContainerName: aws.String("web"), ContainerPort: aws.Int32(8080)}},
	}
	return []*ecs.CreateServiceInput{ec2, fargate, bridge}
}

// describeService returns the service as DescribeServices says it, with
// its tags.
func describeService(t *testing.T, c *ecs.Client, cluster, name string) types.Service {
	t.Helper()
	out := apitest.Must(c.DescribeServices(context.Background(), &ecs.DescribeServicesInput{Cluster: aws.String(cluster), Services: []string{name},
		Include: []types.ServiceField{types.ServiceFieldTags}}))(t)
	if len(out.Services) != 1 {
		t.Fatalf("DescribeServices %s: %+v", name, out.Failures)
	}
	return out.Services[0]
}

// primary returns the service's PRIMARY deployment, where ECS returns the
// per-deployment members.
func primary(t *testing.T, svc types.Service) types.Deployment {
	t.Helper()
	for _, d := range svc.Deployments {
		if aws.ToString(d.Status) == "PRIMARY" {
			return d
		}
	}
	t.Fatalf("service %s has no PRIMARY deployment", aws.ToString(svc.ServiceName))
	return types.Deployment{}
}

// TestCreateServiceRoundTrip creates services that fill every member of the
// SDK's CreateServiceInput and checks that CreateService and
// DescribeServices return each one as sent (on the service, or on its
// primary deployment). No agent runs: the services' tasks stay unplaced.
func TestCreateServiceRoundTrip(t *testing.T) {
	w := wharftest.Start(t)
	f := setUpServices(t, w)
	reqs := roundTripServices(f)
	var vals []ecs.CreateServiceInput
	for _, r := range reqs {
		vals = append(vals, *r)
	}
	for _, p := range unfilled(vals, serviceNotEchoed) {
		t.Errorf("no request fills %s: give it a value ECS accepts, or allow-list it with AWS's reason", p)
	}
	c, ctx := w.ECS(), context.Background()
	for _, in := range reqs {
		t.Run(aws.ToString(in.ServiceName), func(t *testing.T) {
			created := apitest.Must(c.CreateService(ctx, in))(t).Service
			echoed(t, in, serviceNotEchoed, serviceRenamed, created, primary(t, *created))
			svc := describeService(t, c, f.cluster, aws.ToString(in.ServiceName))
			echoed(t, in, serviceNotEchoed, serviceRenamed, &svc, primary(t, svc))
		})
	}
}

// TestUpdateServiceRoundTrip updates a plain service with requests that
// fill every member of UpdateServiceInput and checks that UpdateService and
// DescribeServices return each one as sent, and that an update leaves what
// it does not name as it was.
func TestUpdateServiceRoundTrip(t *testing.T) {
	w := wharftest.Start(t)
	f := setUpServices(t, w)
	c, ctx := w.ECS(), context.Background()
	sc, vols, lattice := deploymentSettings()
	net := &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"subnet-3"},
		SecurityGroups: []string{"sg-2"}, AssignPublicIp: types.AssignPublicIpEnabled}}
	for _, name := range []string{"up-ec2", "up-fargate"} {
		apitest.Must(c.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String(f.cluster), ServiceName: aws.String(name),
			TaskDefinition: aws.String(f.awsvpcTD), DesiredCount: aws.Int32(0), NetworkConfiguration: &types.NetworkConfiguration{
				AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}}}))(t)
	}
	reqs := []*ecs.UpdateServiceInput{
		{
			Cluster: aws.String(f.cluster), Service: aws.String("up-ec2"), DesiredCount: aws.Int32(3), TaskDefinition: aws.String(f.awsvpcTD),
			AvailabilityZoneRebalancing: types.AvailabilityZoneRebalancingDisabled, DeploymentConfiguration: linearDeployment(),
			NetworkConfiguration: net, ForceNewDeployment: true, HealthCheckGracePeriodSeconds: aws.Int32(90),
			PlacementConstraints: []types.PlacementConstraint{{Type: types.PlacementConstraintTypeDistinctInstance},
				{Type: types.PlacementConstraintTypeMemberOf, Expression: aws.String("attribute:ecs.cpu-architecture == arm64")}},
			PlacementStrategy:    []types.PlacementStrategy{{Type: types.PlacementStrategyTypeBinpack, Field: aws.String("memory")}},
			DeploymentController: &types.DeploymentController{Type: types.DeploymentControllerTypeEcs},
			EnableExecuteCommand: aws.Bool(true),
			EnableECSManagedTags: aws.Bool(true),
			PropagateTags:        types.PropagateTagsTaskDefinition,
			LoadBalancers: []types.LoadBalancer{{TargetGroupArn: aws.String(f.ipTG), ContainerName: aws.String("web"), ContainerPort: aws.Int32(8080),
				AdvancedConfiguration: &types.AdvancedConfiguration{AlternateTargetGroupArn: aws.String(f.altTG),
					ProductionListenerRule: aws.String("arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/lb/1/2/3"),
					TestListenerRule:       aws.String("arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/lb/1/4/5"),
					RoleArn:                aws.String("arn:aws:iam::000000000000:role/bluegreen")}}},
			ServiceRegistries:           []types.ServiceRegistry{{RegistryArn: aws.String("arn:aws:servicediscovery:us-east-1:000000000000:service/srv-up"), Port: aws.Int32(8080)}},
			ServiceConnectConfiguration: sc,
			VolumeConfigurations:        vols,
			VpcLatticeConfigurations:    lattice,
		},
		{
			Cluster: aws.String(f.cluster), Service: aws.String("up-fargate"),
			CapacityProviderStrategy: []types.CapacityProviderStrategyItem{{CapacityProvider: aws.String("FARGATE_SPOT"), Base: 1, Weight: 1}},
			PlatformVersion:          aws.String("1.4.0"),
			DeploymentConfiguration:  canaryDeployment(),
			ServiceRegistries:        []types.ServiceRegistry{{RegistryArn: aws.String("arn:aws:servicediscovery:us-east-1:000000000000:service/srv-up"), ContainerName: aws.String("web"), ContainerPort: aws.Int32(8080)}},
		},
	}
	var vals []ecs.UpdateServiceInput
	for _, r := range reqs {
		vals = append(vals, *r)
	}
	for _, p := range unfilled(vals, serviceNotEchoed) {
		t.Errorf("no request fills %s: give it a value ECS accepts, or allow-list it with AWS's reason", p)
	}
	for _, in := range reqs {
		t.Run(aws.ToString(in.Service), func(t *testing.T) {
			before := describeService(t, c, f.cluster, aws.ToString(in.Service))
			updated := apitest.Must(c.UpdateService(ctx, in))(t).Service
			echoed(t, in, serviceNotEchoed, serviceRenamed, updated, primary(t, *updated))
			svc := describeService(t, c, f.cluster, aws.ToString(in.Service))
			echoed(t, in, serviceNotEchoed, serviceRenamed, &svc, primary(t, svc))
			// What the update did not name is kept.
			if svc.AvailabilityZoneRebalancing == "" || svc.AvailabilityZoneRebalancing != before.AvailabilityZoneRebalancing && in.AvailabilityZoneRebalancing == "" {
				t.Errorf("availabilityZoneRebalancing %q after an update that did not name it (was %q)", svc.AvailabilityZoneRebalancing, before.AvailabilityZoneRebalancing)
			}
			if in.NetworkConfiguration == nil && svc.NetworkConfiguration == nil {
				t.Error("networkConfiguration lost by an update that did not name it")
			}
		})
	}
	t.Run("a new deployment keeps the per-deployment settings", func(t *testing.T) {
		up := &ecs.UpdateServiceInput{Cluster: aws.String(f.cluster), Service: aws.String("up-ec2"), ForceNewDeployment: true}
		before := primary(t, describeService(t, c, f.cluster, "up-ec2"))
		apitest.Must(c.UpdateService(ctx, up))(t)
		after := primary(t, describeService(t, c, f.cluster, "up-ec2"))
		if aws.ToString(after.Id) == aws.ToString(before.Id) {
			t.Fatal("forceNewDeployment made no deployment")
		}
		kept := struct {
			ServiceConnectConfiguration *types.ServiceConnectConfiguration
			VolumeConfigurations        []types.ServiceVolumeConfiguration
			VpcLatticeConfigurations    []types.VpcLatticeConfiguration
		}{sc, vols, lattice}
		echoed(t, kept, nil, nil, after)
	})
}
