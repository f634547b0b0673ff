package ecs_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

// registerNotEchoed lists the RegisterTaskDefinitionInput members the test
// does not send, each with the reason. DescribeTaskDefinition returns every
// other member (tags with include TAGS).
var registerNotEchoed = map[string]string{
	"RegisterTaskDefinitionInput.InferenceAccelerators": "deprecated in the SDK: Elastic Inference is no longer available",
}

// roundTripTaskDefinitions are registrations that together give every
// member of RegisterTaskDefinitionInput, at every depth, a value ECS accepts.
// Members that cannot meet in one task definition (EC2-only and Fargate-only
// settings, a port and a port range) are split between them.
func roundTripTaskDefinitions() []*ecs.RegisterTaskDefinitionInput {
	ec2 := &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String("rt-ec2"),
		TaskRoleArn:             aws.String("arn:aws:iam::000000000000:role/task"),
		ExecutionRoleArn:        aws.String("arn:aws:iam::000000000000:role/exec"),
		NetworkMode:             types.NetworkModeBridge,
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityEc2},
		Cpu:                     aws.String("1024"),
		Memory:                  aws.String("2048"),
		PidMode:                 types.PidModeTask,
		IpcMode:                 types.IpcModeTask,
		PlacementConstraints: []types.TaskDefinitionPlacementConstraint{{Type: types.TaskDefinitionPlacementConstraintTypeMemberOf,
			Expression: aws.String("attribute:ecs.instance-type =~ t3.*")}},
		Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("rt")}},
		Volumes: []types.Volume{
			{Name: aws.String("data"), Host: &types.HostVolumeProperties{SourcePath: aws.String("/srv/data")}},
			{Name: aws.String("docker"), DockerVolumeConfiguration: &types.DockerVolumeConfiguration{Scope: types.ScopeShared, Autoprovision: aws.Bool(true),
				Driver: aws.String("local"), DriverOpts: map[string]string{"type": "tmpfs"}, Labels: map[string]string{"app": "rt"}}},
			{Name: aws.String("efs"), EfsVolumeConfiguration: &types.EFSVolumeConfiguration{FileSystemId: aws.String("fs-1234"), RootDirectory: aws.String("/"),
				TransitEncryption: types.EFSTransitEncryptionEnabled, TransitEncryptionPort: aws.Int32(2049),
				AuthorizationConfig: &types.EFSAuthorizationConfig{AccessPointId: aws.String("fsap-1234"), Iam: types.EFSAuthorizationConfigIAMEnabled}}},
			{Name: aws.String("fsx"), FsxWindowsFileServerVolumeConfiguration: &types.FSxWindowsFileServerVolumeConfiguration{FileSystemId: aws.String("fs-5678"),
				RootDirectory: aws.String(`\share`), AuthorizationConfig: &types.FSxWindowsFileServerAuthorizationConfig{
					CredentialsParameter: aws.String("arn:aws:secretsmanager:us-east-1:000000000000:secret:fsx"), Domain: aws.String("corp.example.com")}}},
			{Name: aws.String("ebs"), ConfiguredAtLaunch: aws.Bool(true)},
			{Name: aws.String("s3"), S3filesVolumeConfiguration: &types.S3FilesVolumeConfiguration{FileSystemArn: aws.String("arn:aws:s3files:us-east-1:000000000000:file-system/fs-1"),
				AccessPointArn: aws.String("arn:aws:s3files:us-east-1:000000000000:access-point/ap-1"), RootDirectory: aws.String("/files"), TransitEncryptionPort: aws.Int32(2050)}},
		},
		ContainerDefinitions: []types.ContainerDefinition{
			{
				Name: aws.String("app"), Image: aws.String("app:1"), Cpu: 512, Memory: aws.Int32(1024), MemoryReservation: aws.Int32(512),
				Essential: aws.Bool(true), EntryPoint: []string{"/app"}, Command: []string{"serve", "--port=8080"},
				Environment:      []types.KeyValuePair{{Name: aws.String("MODE"), Value: aws.String("rt")}},
				EnvironmentFiles: []types.EnvironmentFile{{Type: types.EnvironmentFileTypeS3, Value: aws.String("arn:aws:s3:::bucket/app.env")}},
				Secrets:          []types.Secret{{Name: aws.String("TOKEN"), ValueFrom: aws.String("arn:aws:ssm:us-east-1:000000000000:parameter/token")}},
				PortMappings: []types.PortMapping{
					{Name: aws.String("web"), ContainerPort: aws.Int32(8080), HostPort: aws.Int32(8080), Protocol: types.TransportProtocolTcp, AppProtocol: types.ApplicationProtocolHttp},
					{ContainerPortRange: aws.String("9000-9010"), Protocol: types.TransportProtocolUdp},
				},
				Links:                 []string{"side:side"},
				Hostname:              aws.String("app.local"),
				DnsServers:            []string{"10.0.0.2"},
				DnsSearchDomains:      []string{"corp.example.com"},
				ExtraHosts:            []types.HostEntry{{Hostname: aws.String("db"), IpAddress: aws.String("10.0.0.5")}},
				DockerLabels:          map[string]string{"tier": "web"},
				DockerSecurityOptions: []string{"no-new-privileges"},
				CredentialSpecs:       []string{"credentialspecdomainless:arn:aws:s3:::bucket/spec.json"},
				DependsOn:             []types.ContainerDependency{{ContainerName: aws.String("side"), Condition: types.ContainerConditionStart}},
				VolumesFrom:           []types.VolumeFrom{{SourceContainer: aws.String("side"), ReadOnly: aws.Bool(true)}},
				MountPoints:           []types.MountPoint{{SourceVolume: aws.String("data"), ContainerPath: aws.String("/data"), ReadOnly: aws.Bool(true)}},
				HealthCheck: &types.HealthCheck{Command: []string{"CMD-SHELL", "true"}, Interval: aws.Int32(10), Timeout: aws.Int32(3),
					Retries: aws.Int32(2), StartPeriod: aws.Int32(5)},
				LinuxParameters: &types.LinuxParameters{
					Capabilities:       &types.KernelCapabilities{Add: []string{"NET_ADMIN"}, Drop: []string{"MKNOD"}},
					Devices:            []types.Device{{HostPath: aws.String("/dev/fuse"), ContainerPath: aws.String("/dev/fuse"), Permissions: []types.DeviceCgroupPermission{types.DeviceCgroupPermissionRead}}},
					InitProcessEnabled: aws.Bool(true), MaxSwap: aws.Int32(512), Swappiness: aws.Int32(10), SharedMemorySize: aws.Int32(64),
					Tmpfs: []types.Tmpfs{{ContainerPath: aws.String("/tmp"), Size: 64, MountOptions: []string{"rw"}}},
				},
				LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{"awslogs-group": "rt"},
					SecretOptions: []types.Secret{{Name: aws.String("key"), ValueFrom: aws.String("arn:aws:ssm:us-east-1:000000000000:parameter/key")}}},
				RepositoryCredentials: &types.RepositoryCredentials{CredentialsParameter: aws.String("arn:aws:secretsmanager:us-east-1:000000000000:secret:reg")},
				ResourceRequirements: []types.ResourceRequirement{
					{Type: types.ResourceTypeGpu, Value: aws.String("1"), SharingStrategy: &types.SharingStrategyMemberNvidiaMps{
						Value: types.NvidiaMpsAllocation{Memory: aws.Int32(2048), MaxComputePercent: aws.Int32(50)}}},
				},
				RestartPolicy: &types.ContainerRestartPolicy{Enabled: aws.Bool(true), IgnoredExitCodes: []int32{3}, RestartAttemptPeriod: aws.Int32(60)},
				StartTimeout:  aws.Int32(30), StopTimeout: aws.Int32(20),
				SystemControls:         []types.SystemControl{{Namespace: aws.String("net.core.somaxconn"), Value: aws.String("1024")}},
				Ulimits:                []types.Ulimit{{Name: types.UlimitNameNofile, SoftLimit: 1024, HardLimit: 2048}},
				User:                   aws.String("1000:1000"),
				WorkingDirectory:       aws.String("/srv"),
				VersionConsistency:     types.VersionConsistencyDisabled,
				Interactive:            aws.Bool(true),
				PseudoTerminal:         aws.Bool(true),
				Privileged:             aws.Bool(true),
				ReadonlyRootFilesystem: aws.Bool(true),
			},
			{
				Name: aws.String("side"), Image: aws.String("fluent-bit:1"), Memory: aws.Int32(256), Essential: aws.Bool(false),
				FirelensConfiguration: &types.FirelensConfiguration{Type: types.FirelensConfigurationTypeFluentbit, Options: map[string]string{"enable-ecs-log-metadata": "true"}},
			},
			{Name: aws.String("offline"), Image: aws.String("tool:1"), Memory: aws.Int32(128), Essential: aws.Bool(false), DisableNetworking: aws.Bool(true)},
		},
	}
	fargate := &ecs.RegisterTaskDefinitionInput{
		Family:                  aws.String("rt-fargate"),
		NetworkMode:             types.NetworkModeAwsvpc,
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		Cpu:                     aws.String("1024"),
		Memory:                  aws.String("2048"),
		EphemeralStorage:        &types.EphemeralStorage{SizeInGiB: 30},
		RuntimePlatform:         &types.RuntimePlatform{CpuArchitecture: types.CPUArchitectureArm64, OperatingSystemFamily: types.OSFamilyLinux},
		EnableFaultInjection:    aws.Bool(true),
		ProxyConfiguration: &types.ProxyConfiguration{Type: types.ProxyConfigurationTypeAppmesh, ContainerName: aws.String("envoy"),
			Properties: []types.KeyValuePair{{Name: aws.String("AppPorts"), Value: aws.String("80")}}},
		ContainerDefinitions: []types.ContainerDefinition{
			{Name: aws.String("web"), Image: aws.String("web:1"), Memory: aws.Int32(512),
				PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(80), HostPort: aws.Int32(80), Protocol: types.TransportProtocolTcp}}},
			{Name: aws.String("envoy"), Image: aws.String("envoy:1"), Memory: aws.Int32(256)},
		},
	}
	managed := &ecs.RegisterTaskDefinitionInput{
		Family:                        aws.String("rt-managed"),
		NetworkMode:                   types.NetworkModeAwsvpc,
		RequiresCompatibilities:       []types.Compatibility{types.CompatibilityManagedInstances},
		TrustedExecutionConfiguration: &types.TrustedExecutionConfiguration{IsolationMode: types.IsolationModeShared, AttestationPolicy: aws.String("arn:aws:ecs:us-east-1:000000000000:attestation-policy/p")},
		ContainerDefinitions:          []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("app:1"), Memory: aws.Int32(512)}},
	}
	return []*ecs.RegisterTaskDefinitionInput{ec2, fargate, managed}
}

// TestRegisterTaskDefinitionRoundTrip registers task definitions that fill
// every member of the SDK's RegisterTaskDefinitionInput and checks that
// RegisterTaskDefinition and DescribeTaskDefinition return each one as sent.
func TestRegisterTaskDefinitionRoundTrip(t *testing.T) {
	reqs := roundTripTaskDefinitions()
	var vals []ecs.RegisterTaskDefinitionInput
	for _, r := range reqs {
		vals = append(vals, *r)
	}
	for _, p := range unfilled(vals, registerNotEchoed) {
		t.Errorf("no request fills %s: give it a value ECS accepts, or allow-list it with AWS's reason", p)
	}
	w := wharftest.Start(t)
	c, ctx := w.ECS(), context.Background()
	for _, in := range reqs {
		t.Run(aws.ToString(in.Family), func(t *testing.T) {
			reg := apitest.Must(c.RegisterTaskDefinition(ctx, in))(t)
			echoed(t, in, registerNotEchoed, nil, reg.TaskDefinition, reg)
			desc := apitest.Must(c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: reg.TaskDefinition.TaskDefinitionArn,
				Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags}}))(t)
			echoed(t, in, registerNotEchoed, nil, desc.TaskDefinition, desc)
		})
	}
}
