package ecs_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

// fullContainer sets every container definition field wharf must keep.
func fullContainer() types.ContainerDefinition {
	return types.ContainerDefinition{
		Name:              aws.String("web"),
		Image:             aws.String("wharf-test/app:latest"),
		Cpu:               256,
		Memory:            aws.Int32(512),
		MemoryReservation: aws.Int32(256),
		Links:             []string{"sidecar:side"},
		PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080), HostPort: aws.Int32(0), Protocol: types.TransportProtocolTcp,
			Name: aws.String("http"), AppProtocol: types.ApplicationProtocolHttp}},
		Essential:        aws.Bool(true),
		EntryPoint:       []string{"/testapp"},
		Command:          []string{"-listen", ":8080"},
		Environment:      []types.KeyValuePair{{Name: aws.String("MODE"), Value: aws.String("test")}},
		EnvironmentFiles: []types.EnvironmentFile{{Type: types.EnvironmentFileTypeS3, Value: aws.String("arn:aws:s3:::bucket/app.env")}},
		MountPoints:      []types.MountPoint{{SourceVolume: aws.String("data"), ContainerPath: aws.String("/data"), ReadOnly: aws.Bool(true)}},
		VolumesFrom:      []types.VolumeFrom{{SourceContainer: aws.String("sidecar"), ReadOnly: aws.Bool(false)}},
		LinuxParameters: &types.LinuxParameters{InitProcessEnabled: aws.Bool(true), SharedMemorySize: aws.Int32(64),
			Capabilities: &types.KernelCapabilities{Add: []string{"NET_ADMIN"}, Drop: []string{"MKNOD"}}},
		Secrets:                []types.Secret{{Name: aws.String("DB_PASSWORD"), ValueFrom: aws.String("arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf")}},
		DependsOn:              []types.ContainerDependency{{ContainerName: aws.String("sidecar"), Condition: types.ContainerConditionHealthy}},
		StartTimeout:           aws.Int32(60),
		StopTimeout:            aws.Int32(20),
		Hostname:               aws.String("web-host"),
		User:                   aws.String("1000:1000"),
		WorkingDirectory:       aws.String("/srv"),
		DisableNetworking:      aws.Bool(false),
		Privileged:             aws.Bool(false),
		ReadonlyRootFilesystem: aws.Bool(true),
		DnsServers:             []string{"10.0.0.2"},
		DnsSearchDomains:       []string{"svc.local"},
		ExtraHosts:             []types.HostEntry{{Hostname: aws.String("db"), IpAddress: aws.String("10.0.0.5")}},
		DockerSecurityOptions:  []string{"no-new-privileges"},
		Interactive:            aws.Bool(false),
		PseudoTerminal:         aws.Bool(false),
		DockerLabels:           map[string]string{"app": "web", "tier": "front"},
		Ulimits:                []types.Ulimit{{Name: types.UlimitNameNofile, SoftLimit: 1024, HardLimit: 4096}},
		LogConfiguration: &types.LogConfiguration{LogDriver: types.LogDriverAwslogs, Options: map[string]string{
			"awslogs-group": "/ecs/web", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "web"}},
		HealthCheck: &types.HealthCheck{Command: []string{"CMD", "/testapp", "check", "http://127.0.0.1:8080/health"},
			Interval: aws.Int32(10), Timeout: aws.Int32(3), Retries: aws.Int32(2), StartPeriod: aws.Int32(5)},
		SystemControls:       []types.SystemControl{{Namespace: aws.String("net.core.somaxconn"), Value: aws.String("1024")}},
		ResourceRequirements: []types.ResourceRequirement{{Type: types.ResourceTypeGpu, Value: aws.String("1")}},
		RestartPolicy:        &types.ContainerRestartPolicy{Enabled: aws.Bool(true), IgnoredExitCodes: []int32{0}, RestartAttemptPeriod: aws.Int32(60)},
		VersionConsistency:   types.VersionConsistencyDisabled,
		CredentialSpecs:      []string{"credentialspecdomainless:arn:aws:s3:::bucket/spec.json"},
	}
}

func sidecar() types.ContainerDefinition {
	return types.ContainerDefinition{
		Name: aws.String("sidecar"), Image: aws.String("wharf-test/busybox:latest"), Memory: aws.Int32(64), Essential: aws.Bool(false),
		HealthCheck: &types.HealthCheck{Command: []string{"CMD-SHELL", "true"}},
	}
}

// asJSON compares SDK values structurally (the SDK types have no JSON tags,
// so field names are Go's; that is enough to spot a dropped field).
func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRegisterKeepsEveryContainerField(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := w.ECS(), context.Background()
	in := fullContainer()
	out := apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family:               aws.String("web"),
		ContainerDefinitions: []types.ContainerDefinition{in, sidecar()},
		Volumes:              []types.Volume{{Name: aws.String("data"), Host: &types.HostVolumeProperties{SourcePath: aws.String("/tmp/data")}}},
		TaskRoleArn:          aws.String("arn:aws:iam::000000000000:role/web"),
		ExecutionRoleArn:     aws.String("arn:aws:iam::000000000000:role/exec"),
		NetworkMode:          types.NetworkModeBridge,
		PlacementConstraints: []types.TaskDefinitionPlacementConstraint{{Type: types.TaskDefinitionPlacementConstraintTypeMemberOf, Expression: aws.String("attribute:ecs.os-type == linux")}},
		PidMode:              types.PidModeTask,
		IpcMode:              types.IpcModeTask,
		Tags:                 []types.Tag{{Key: aws.String("owner"), Value: aws.String("me")}},
	}))(t)
	td := out.TaskDefinition
	if aws.ToString(td.TaskDefinitionArn) != "arn:aws:ecs:us-east-1:000000000000:task-definition/web:1" || td.Revision != 1 || td.Status != types.TaskDefinitionStatusActive {
		t.Fatalf("registered %s rev %d %s", aws.ToString(td.TaskDefinitionArn), td.Revision, td.Status)
	}
	if td.RegisteredAt == nil || aws.ToString(td.RegisteredBy) == "" {
		t.Fatal("registeredAt/registeredBy missing")
	}
	desc := apitest.Must(c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web"), Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags}}))(t)
	got := desc.TaskDefinition.ContainerDefinitions[0]
	if a, b := asJSON(t, in), asJSON(t, got); a != b {
		t.Fatalf("container definition changed on the way through:\n sent %s\n  got %s", a, b)
	}
	if len(desc.Tags) != 1 || aws.ToString(desc.Tags[0].Key) != "owner" {
		t.Fatalf("tags %+v", desc.Tags)
	}
	if desc.TaskDefinition.PidMode != types.PidModeTask || len(desc.TaskDefinition.PlacementConstraints) != 1 || len(desc.TaskDefinition.Volumes) != 1 {
		t.Fatalf("task-level fields lost: %+v", desc.TaskDefinition)
	}
	// Defaults ECS fills in on the sidecar.
	side := desc.TaskDefinition.ContainerDefinitions[1]
	if hc := side.HealthCheck; aws.ToInt32(hc.Interval) != 30 || aws.ToInt32(hc.Timeout) != 5 || aws.ToInt32(hc.Retries) != 3 {
		t.Fatalf("health check defaults %+v", hc)
	}
	if side.PortMappings == nil || side.Environment == nil || side.MountPoints == nil || side.VolumesFrom == nil {
		t.Fatalf("empty lists must be returned as []: %+v", side)
	}
	plain := apitest.Must(c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("web:1")}))(t)
	if len(plain.Tags) != 0 {
		t.Fatal("tags returned without include TAGS")
	}
}

func TestRegisterRevisionsAndFargate(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := w.ECS(), context.Background()
	reg := func(family string) *types.TaskDefinition {
		return apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
			Family: aws.String(family), RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
			NetworkMode: types.NetworkModeAwsvpc, Cpu: aws.String("0.5 vCPU"), Memory: aws.String("1 GB"),
			ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("wharf-test/app:latest"),
				PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}}}},
		}))(t).TaskDefinition
	}
	for i := 1; i <= 3; i++ {
		td := reg("api")
		if td.Revision != int32(i) {
			t.Fatalf("revision %d, want %d", td.Revision, i)
		}
		if aws.ToString(td.Cpu) != "512" || aws.ToString(td.Memory) != "1024" {
			t.Fatalf("cpu %s memory %s", aws.ToString(td.Cpu), aws.ToString(td.Memory))
		}
		if pm := td.ContainerDefinitions[0].PortMappings[0]; aws.ToInt32(pm.HostPort) != 8080 || pm.Protocol != types.TransportProtocolTcp {
			t.Fatalf("awsvpc port mapping not normalized: %+v", pm)
		}
		if strings.Join(compat(td.Compatibilities), ",") != "EC2,FARGATE" {
			t.Fatalf("compatibilities %v", td.Compatibilities)
		}
	}
	latest := apitest.Must(c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("api")}))(t)
	if latest.TaskDefinition.Revision != 3 {
		t.Fatalf("latest is %d", latest.TaskDefinition.Revision)
	}
	apitest.Must(c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("api:3")}))(t)
	latest = apitest.Must(c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("api")}))(t)
	if latest.TaskDefinition.Revision != 2 {
		t.Fatalf("latest ACTIVE after deregistering 3 is %d", latest.TaskDefinition.Revision)
	}
	if td := reg("api"); td.Revision != 4 {
		t.Fatalf("revision numbers must not be reused: got %d", td.Revision)
	}
}

func compat(cs []types.Compatibility) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c)
	}
	return out
}

func TestRegisterTaskDefinitionRules(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := w.ECS(), context.Background()
	app := func(mod func(*types.ContainerDefinition)) types.ContainerDefinition {
		cd := types.ContainerDefinition{Name: aws.String("app"), Image: aws.String("img"), Memory: aws.Int32(128)}
		if mod != nil {
			mod(&cd)
		}
		return cd
	}
	fargate := func(cpu, mem string, mode types.NetworkMode, cds ...types.ContainerDefinition) *ecs.RegisterTaskDefinitionInput {
		return &ecs.RegisterTaskDefinitionInput{Family: aws.String("f"), RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
			NetworkMode: mode, Cpu: aws.String(cpu), Memory: aws.String(mem), ContainerDefinitions: cds}
	}
	ec2 := func(mode types.NetworkMode, cds ...types.ContainerDefinition) *ecs.RegisterTaskDefinitionInput {
		return &ecs.RegisterTaskDefinitionInput{Family: aws.String("e"), NetworkMode: mode, ContainerDefinitions: cds}
	}
	tests := []struct {
		name string
		in   *ecs.RegisterTaskDefinitionInput
		code string
		msg  string
	}{
		{"fargate needs awsvpc", fargate("256", "512", types.NetworkModeBridge, app(nil)), "ClientException", "awsvpc"},
		{"fargate size", fargate("512", "512", types.NetworkModeAwsvpc, app(nil)), "ClientException", "512 CPU, 512 memory"},
		{"fargate privileged", fargate("256", "512", types.NetworkModeAwsvpc, app(func(c *types.ContainerDefinition) { c.Privileged = aws.Bool(true) })), "ClientException", "Privileged"},
		{"awsvpc host port must match", fargate("256", "512", types.NetworkModeAwsvpc, app(func(c *types.ContainerDefinition) {
			c.PortMappings = []types.PortMapping{{ContainerPort: aws.Int32(80), HostPort: aws.Int32(8080)}}
		})), "ClientException", "must match"},
		{"ec2 needs memory", ec2("", app(func(c *types.ContainerDefinition) { c.Memory = nil })), "ClientException", "memoryReservation"},
		{"memory below reservation", ec2("", app(func(c *types.ContainerDefinition) { c.MemoryReservation = aws.Int32(256) })), "ClientException", "greater than or equal"},
		{"duplicate names", ec2("", app(nil), app(nil)), "ClientException", "Duplicate container name"},
		{"no essential", ec2("", app(func(c *types.ContainerDefinition) { c.Essential = aws.Bool(false) })), "ClientException", "essential"},
		{"missing image", ec2("", app(func(c *types.ContainerDefinition) { c.Image = nil })), "ClientException", "image"},
		{"dependsOn unknown", ec2("", app(func(c *types.ContainerDefinition) {
			c.DependsOn = []types.ContainerDependency{{ContainerName: aws.String("db"), Condition: types.ContainerConditionStart}}
		})), "ClientException", "dependsOn"},
		{"dependsOn healthy needs health check", ec2("", app(func(c *types.ContainerDefinition) {
			c.DependsOn = []types.ContainerDependency{{ContainerName: aws.String("db"), Condition: types.ContainerConditionHealthy}}
		}), types.ContainerDefinition{Name: aws.String("db"), Image: aws.String("img"), Memory: aws.Int32(64)}), "ClientException", "healthCheck"},
		{"dependsOn cycle", ec2("", app(func(c *types.ContainerDefinition) {
			c.DependsOn = []types.ContainerDependency{{ContainerName: aws.String("db"), Condition: types.ContainerConditionStart}}
		}), types.ContainerDefinition{Name: aws.String("db"), Image: aws.String("img"), Memory: aws.Int32(64),
			DependsOn: []types.ContainerDependency{{ContainerName: aws.String("app"), Condition: types.ContainerConditionStart}}}), "ClientException", "cycle"},
		{"links need bridge", ec2(types.NetworkModeAwsvpc, app(func(c *types.ContainerDefinition) { c.Links = []string{"db"} }),
			types.ContainerDefinition{Name: aws.String("db"), Image: aws.String("img"), Memory: aws.Int32(64)}), "ClientException", "Links"},
		{"mount needs volume", ec2("", app(func(c *types.ContainerDefinition) {
			c.MountPoints = []types.MountPoint{{SourceVolume: aws.String("nope"), ContainerPath: aws.String("/x")}}
		})), "ClientException", "sourceVolume"},
		{"duplicate host port", ec2("", app(func(c *types.ContainerDefinition) {
			c.PortMappings = []types.PortMapping{{ContainerPort: aws.Int32(80), HostPort: aws.Int32(8080)}, {ContainerPort: aws.Int32(81), HostPort: aws.Int32(8080)}}
		})), "ClientException", "Duplicate host port"},
		{"bad family", &ecs.RegisterTaskDefinitionInput{Family: aws.String("a b"), ContainerDefinitions: []types.ContainerDefinition{app(nil)}}, "ClientException", "family"},
		{"bad enum", ec2("bogus", app(nil)), "InvalidParameterException", "networkMode"},
		{"oversize family", &ecs.RegisterTaskDefinitionInput{Family: aws.String(strings.Repeat("x", 300)), ContainerDefinitions: []types.ContainerDefinition{app(nil)}}, "ClientException", "family"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.RegisterTaskDefinition(ctx, tt.in)
			apitest.WantCode(t, err, tt.code)
			if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tt.msg)) {
				t.Fatalf("message %q does not mention %q", err.Error(), tt.msg)
			}
		})
	}
	list := apitest.Must(c.ListTaskDefinitionFamilies(ctx, &ecs.ListTaskDefinitionFamiliesInput{Status: types.TaskDefinitionFamilyStatusAll}))(t)
	if len(list.Families) != 0 {
		t.Fatalf("a refused registration stored something: %v", list.Families)
	}
}

func TestListTaskDefinitions(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := w.ECS(), context.Background()
	for _, f := range []string{"beta", "alpha", "beta", "alphabet", "alpha"} {
		apitest.Must(c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String(f),
			ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("c"), Image: aws.String("i"), Memory: aws.Int32(32)}}}))(t)
	}
	arn := func(s string) string { return "arn:aws:ecs:us-east-1:000000000000:task-definition/" + s }
	all := func(in *ecs.ListTaskDefinitionsInput) []string {
		var out []string
		p := ecs.NewListTaskDefinitionsPaginator(c, in)
		for p.HasMorePages() {
			out = append(out, apitest.Must(p.NextPage(ctx))(t).TaskDefinitionArns...)
		}
		return out
	}
	check := func(name string, got []string, want ...string) {
		t.Helper()
		for i := range want {
			want[i] = arn(want[i])
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s:\n got %v\nwant %v", name, got, want)
		}
	}
	check("asc", all(&ecs.ListTaskDefinitionsInput{MaxResults: aws.Int32(2)}), "alpha:1", "alpha:2", "alphabet:1", "beta:1", "beta:2")
	check("desc", all(&ecs.ListTaskDefinitionsInput{MaxResults: aws.Int32(2), Sort: types.SortOrderDesc}), "beta:2", "beta:1", "alphabet:1", "alpha:2", "alpha:1")
	check("family", all(&ecs.ListTaskDefinitionsInput{FamilyPrefix: aws.String("alpha")}), "alpha:1", "alpha:2")

	apitest.Must(c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String(arn("alphabet:1"))}))(t)
	check("inactive", all(&ecs.ListTaskDefinitionsInput{Status: types.TaskDefinitionStatusInactive}), "alphabet:1")

	fams := apitest.Must(c.ListTaskDefinitionFamilies(ctx, &ecs.ListTaskDefinitionFamiliesInput{FamilyPrefix: aws.String("alpha")}))(t)
	if fmt.Sprint(fams.Families) != "[alpha]" {
		t.Errorf("active families with prefix alpha: %v", fams.Families)
	}
	fams = apitest.Must(c.ListTaskDefinitionFamilies(ctx, &ecs.ListTaskDefinitionFamiliesInput{Status: types.TaskDefinitionFamilyStatusInactive}))(t)
	if fmt.Sprint(fams.Families) != "[alphabet]" {
		t.Errorf("inactive families: %v", fams.Families)
	}
	fams = apitest.Must(c.ListTaskDefinitionFamilies(ctx, &ecs.ListTaskDefinitionFamiliesInput{Status: types.TaskDefinitionFamilyStatusAll, MaxResults: aws.Int32(1)}))(t)
	if len(fams.Families) != 1 || fams.NextToken == nil {
		t.Errorf("paged families: %+v", fams)
	}

	// Deleting: only INACTIVE revisions, others are failures.
	del := apitest.Must(c.DeleteTaskDefinitions(ctx, &ecs.DeleteTaskDefinitionsInput{TaskDefinitions: []string{"alphabet:1", "alpha:1", "nope:9"}}))(t)
	if len(del.TaskDefinitions) != 1 || del.TaskDefinitions[0].Status != types.TaskDefinitionStatusDeleteInProgress || len(del.Failures) != 2 {
		t.Fatalf("delete: %+v", del)
	}
	desc := apitest.Must(c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("alphabet:1")}))(t)
	if desc.TaskDefinition.Status != types.TaskDefinitionStatusDeleteInProgress {
		t.Fatalf("status after delete: %s", desc.TaskDefinition.Status)
	}
	_, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("nope")})
	apitest.WantCode(t, err, "ClientException")
	_, err = c.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("nope:1")})
	apitest.WantCode(t, err, "ClientException")
}
