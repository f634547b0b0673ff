package model

import (
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
)

// The conversions between the in-memory task (the wire shape DescribeTasks
// returns) and its stored form (taskrecord.go), field by field, so that a
// field added to the wire shape is a deliberate change here
// (TestTaskRecordKeepsEveryField fails until it is).

func storeTask(t *ecstypes.Task) storedTask {
	p := prefixesOf(t.TaskArn)
	s := storedTask{
		ARN: t.TaskArn, Cluster: shortARN(t.ClusterArn, p.cluster), Instance: shortARN(t.ContainerInstanceArn, p.instance),
		Def: shortARN(t.TaskDefinitionArn, p.def), AZ: t.AvailabilityZone, CapacityProvider: t.CapacityProviderName,
		Connectivity: string(t.Connectivity), ConnectivityAt: ms(t.ConnectivityAt), CPU: t.Cpu, Memory: t.Memory,
		CreatedAt: ms(t.CreatedAt), Desired: t.DesiredStatus, Last: t.LastStatus, Exec: t.EnableExecuteCommand,
		ExecutionStoppedAt: ms(t.ExecutionStoppedAt), Group: t.Group, Health: string(t.HealthStatus),
		LaunchType: string(t.LaunchType), PlatformVersion: t.PlatformVersion, PlatformFamily: t.PlatformFamily,
		PullStartedAt: ms(t.PullStartedAt), PullStoppedAt: ms(t.PullStoppedAt), StartedAt: ms(t.StartedAt),
		StartedBy: t.StartedBy, StopCode: string(t.StopCode), StoppedAt: ms(t.StoppedAt), StoppedReason: t.StoppedReason,
		StoppingAt: ms(t.StoppingAt), Version: t.Version,
	}
	for _, c := range t.Containers {
		s.Containers = append(s.Containers, storeContainer(&c, p))
	}
	for _, a := range t.Attachments {
		sa := storedAttachment{ID: a.Id, Type: a.Type, Status: a.Status}
		for _, d := range a.Details {
			sa.Details = append(sa.Details, storedPair{K: d.Name, V: d.Value})
		}
		s.Attachments = append(s.Attachments, sa)
	}
	for _, a := range t.Attributes {
		s.Attributes = append(s.Attributes, storedAttribute{Name: a.Name, Value: a.Value, TargetType: string(a.TargetType), TargetID: a.TargetId})
	}
	for _, a := range t.InferenceAccelerators {
		s.Accelerators = append(s.Accelerators, storedPair{K: a.DeviceName, V: a.DeviceType})
	}
	for _, tg := range t.Tags {
		s.Tags = append(s.Tags, storedPair{K: tg.Key, V: tg.Value})
	}
	if o := t.Overrides; o != nil {
		so := &storedOverrides{CPU: o.Cpu, Memory: o.Memory, ExecutionRoleARN: o.ExecutionRoleArn, TaskRoleARN: o.TaskRoleArn}
		if o.EphemeralStorage != nil {
			so.EphemeralGiB = new(o.EphemeralStorage.SizeInGiB)
		}
		for _, a := range o.InferenceAcceleratorOverrides {
			so.Accelerators = append(so.Accelerators, storedPair{K: a.DeviceName, V: a.DeviceType})
		}
		for _, co := range o.ContainerOverrides {
			sc := storedContainerOverride{Name: co.Name, Command: co.Command, CPU: co.Cpu, Memory: co.Memory, MemoryReservation: co.MemoryReservation}
			for _, e := range co.Environment {
				sc.Env = append(sc.Env, storedPair{K: e.Name, V: e.Value})
			}
			for _, f := range co.EnvironmentFiles {
				sc.EnvFiles = append(sc.EnvFiles, storedPair{K: f.Value, V: new(string(f.Type))})
			}
			for _, r := range co.ResourceRequirements {
				sc.Resources = append(sc.Resources, storedRequirement{Type: string(r.Type), Value: r.Value, GPUSharing: storeGPUShares(r.SharingStrategy)})
			}
			so.Containers = append(so.Containers, sc)
		}
		s.Overrides = so
	}
	if t.EphemeralStorage != nil {
		s.EphemeralGiB = new(t.EphemeralStorage.SizeInGiB)
	}
	if f := t.FargateEphemeralStorage; f != nil {
		s.FargateEphemeral = &storedFargateStore{GiB: f.SizeInGiB, KMSKeyID: f.KmsKeyId}
	}
	if x := t.TrustedExecutionSummary; x != nil {
		s.TrustedExecution = &storedTrusted{IsolationMode: string(x.IsolationMode), AttestationPolicy: string(x.AttestationPolicyStatus)}
	}
	return s
}

func storeContainer(c *ecstypes.Container, p arnPrefixes) storedContainer {
	s := storedContainer{ARN: shortARN(c.ContainerArn, p.container), Task: shortARN(c.TaskArn, p.task), Name: c.Name,
		Image: c.Image, ImageDigest: c.ImageDigest, RuntimeID: c.RuntimeId, Last: c.LastStatus, ExitCode: c.ExitCode,
		Reason: c.Reason, Health: string(c.HealthStatus), CPU: c.Cpu, Memory: c.Memory, MemoryReservation: c.MemoryReservation,
		GPUs: c.GpuIds, NeuronDevices: c.NeuronDeviceIds, GPUSharing: storeGPUShares(c.GpuSharingStrategy)}
	for _, b := range c.NetworkBindings {
		s.Bindings = append(s.Bindings, storedBinding{BindIP: b.BindIP, ContainerPort: b.ContainerPort, HostPort: b.HostPort,
			Protocol: string(b.Protocol), ContainerRange: b.ContainerPortRange, HostRange: b.HostPortRange})
	}
	for _, n := range c.NetworkInterfaces {
		s.Interfaces = append(s.Interfaces, storedENI{Attachment: n.AttachmentId, IPv4: n.PrivateIpv4Address, IPv6: n.Ipv6Address})
	}
	for _, a := range c.ManagedAgents {
		s.ManagedAgents = append(s.ManagedAgents, storedAgent{Name: string(a.Name), Last: a.LastStatus, Reason: a.Reason, LastStartedAt: ms(a.LastStartedAt)})
	}
	return s
}

func storeGPUShares(g *ecstypes.SharingStrategy) *storedGPUShares {
	if g == nil {
		return nil
	}
	s := &storedGPUShares{}
	if m := g.NvidiaMps; m != nil {
		s.NvidiaMps, s.Memory, s.MaxPercent = true, m.Memory, m.MaxComputePercent
	}
	return s
}

func loadGPUShares(s *storedGPUShares) *ecstypes.SharingStrategy {
	if s == nil {
		return nil
	}
	g := &ecstypes.SharingStrategy{}
	if s.NvidiaMps {
		g.NvidiaMps = &ecstypes.NvidiaMpsAllocation{Memory: s.Memory, MaxComputePercent: s.MaxPercent}
	}
	return g
}

func loadTask(s *storedTask) ecstypes.Task {
	p := prefixesOf(s.ARN)
	t := ecstypes.Task{
		TaskArn: s.ARN, ClusterArn: longARN(s.Cluster, p.cluster), ContainerInstanceArn: longARN(s.Instance, p.instance),
		TaskDefinitionArn: longARN(s.Def, p.def), AvailabilityZone: s.AZ, CapacityProviderName: s.CapacityProvider,
		Connectivity: ecstypes.Connectivity(s.Connectivity), ConnectivityAt: fromMS(s.ConnectivityAt), Cpu: s.CPU, Memory: s.Memory,
		CreatedAt: fromMS(s.CreatedAt), DesiredStatus: s.Desired, LastStatus: s.Last, EnableExecuteCommand: s.Exec,
		ExecutionStoppedAt: fromMS(s.ExecutionStoppedAt), Group: s.Group, HealthStatus: ecstypes.HealthStatus(s.Health),
		LaunchType: ecstypes.LaunchType(s.LaunchType), PlatformVersion: s.PlatformVersion, PlatformFamily: s.PlatformFamily,
		PullStartedAt: fromMS(s.PullStartedAt), PullStoppedAt: fromMS(s.PullStoppedAt), StartedAt: fromMS(s.StartedAt),
		StartedBy: s.StartedBy, StopCode: ecstypes.TaskStopCode(s.StopCode), StoppedAt: fromMS(s.StoppedAt),
		StoppedReason: s.StoppedReason, StoppingAt: fromMS(s.StoppingAt), Version: s.Version,
		Attachments: []ecstypes.Attachment{}, Attributes: []ecstypes.Attribute{}, Tags: []ecstypes.Tag{},
	}
	for i := range s.Containers {
		t.Containers = append(t.Containers, loadContainer(&s.Containers[i], p))
	}
	for _, a := range s.Attachments {
		ta := ecstypes.Attachment{Id: a.ID, Type: a.Type, Status: a.Status}
		for _, d := range a.Details {
			ta.Details = append(ta.Details, ecstypes.KeyValuePair{Name: d.K, Value: d.V})
		}
		t.Attachments = append(t.Attachments, ta)
	}
	for _, a := range s.Attributes {
		t.Attributes = append(t.Attributes, ecstypes.Attribute{Name: a.Name, Value: a.Value, TargetType: ecstypes.TargetType(a.TargetType), TargetId: a.TargetID})
	}
	for _, a := range s.Accelerators {
		t.InferenceAccelerators = append(t.InferenceAccelerators, ecstypes.InferenceAccelerator{DeviceName: a.K, DeviceType: a.V})
	}
	for _, tg := range s.Tags {
		t.Tags = append(t.Tags, ecstypes.Tag{Key: tg.K, Value: tg.V})
	}
	if so := s.Overrides; so != nil {
		o := &ecstypes.TaskOverride{Cpu: so.CPU, Memory: so.Memory, ExecutionRoleArn: so.ExecutionRoleARN, TaskRoleArn: so.TaskRoleARN,
			InferenceAcceleratorOverrides: []ecstypes.InferenceAcceleratorOverride{}}
		if so.EphemeralGiB != nil {
			o.EphemeralStorage = &ecstypes.EphemeralStorage{SizeInGiB: *so.EphemeralGiB}
		}
		for _, a := range so.Accelerators {
			o.InferenceAcceleratorOverrides = append(o.InferenceAcceleratorOverrides, ecstypes.InferenceAcceleratorOverride{DeviceName: a.K, DeviceType: a.V})
		}
		for _, sc := range so.Containers {
			co := ecstypes.ContainerOverride{Name: sc.Name, Command: sc.Command, Cpu: sc.CPU, Memory: sc.Memory, MemoryReservation: sc.MemoryReservation}
			for _, e := range sc.Env {
				co.Environment = append(co.Environment, ecstypes.KeyValuePair{Name: e.K, Value: e.V})
			}
			for _, f := range sc.EnvFiles {
				co.EnvironmentFiles = append(co.EnvironmentFiles, ecstypes.EnvironmentFile{Value: f.K, Type: ecstypes.EnvironmentFileType(shape.Deref(f.V))})
			}
			for _, r := range sc.Resources {
				co.ResourceRequirements = append(co.ResourceRequirements, ecstypes.ResourceRequirement{Type: ecstypes.ResourceType(r.Type),
					Value: r.Value, SharingStrategy: loadGPUShares(r.GPUSharing)})
			}
			o.ContainerOverrides = append(o.ContainerOverrides, co)
		}
		t.Overrides = o
	}
	if s.EphemeralGiB != nil {
		t.EphemeralStorage = &ecstypes.EphemeralStorage{SizeInGiB: *s.EphemeralGiB}
	}
	if f := s.FargateEphemeral; f != nil {
		t.FargateEphemeralStorage = &ecstypes.TaskEphemeralStorage{SizeInGiB: f.GiB, KmsKeyId: f.KMSKeyID}
	}
	if x := s.TrustedExecution; x != nil {
		t.TrustedExecutionSummary = &ecstypes.TrustedExecutionSummary{IsolationMode: ecstypes.IsolationMode(x.IsolationMode),
			AttestationPolicyStatus: ecstypes.AttestationPolicyStatus(x.AttestationPolicy)}
	}
	return t
}

func loadContainer(s *storedContainer, p arnPrefixes) ecstypes.Container {
	c := ecstypes.Container{ContainerArn: longARN(s.ARN, p.container), TaskArn: longARN(s.Task, p.task), Name: s.Name,
		Image: s.Image, ImageDigest: s.ImageDigest, RuntimeId: s.RuntimeID, LastStatus: s.Last, ExitCode: s.ExitCode,
		Reason: s.Reason, HealthStatus: ecstypes.HealthStatus(s.Health), Cpu: s.CPU, Memory: s.Memory,
		MemoryReservation: s.MemoryReservation, GpuIds: s.GPUs, NeuronDeviceIds: s.NeuronDevices, GpuSharingStrategy: loadGPUShares(s.GPUSharing),
		NetworkBindings: []ecstypes.NetworkBinding{}, NetworkInterfaces: []ecstypes.NetworkInterface{}}
	for _, b := range s.Bindings {
		c.NetworkBindings = append(c.NetworkBindings, ecstypes.NetworkBinding{BindIP: b.BindIP, ContainerPort: b.ContainerPort,
			HostPort: b.HostPort, Protocol: ecstypes.TransportProtocol(b.Protocol), ContainerPortRange: b.ContainerRange, HostPortRange: b.HostRange})
	}
	for _, n := range s.Interfaces {
		c.NetworkInterfaces = append(c.NetworkInterfaces, ecstypes.NetworkInterface{AttachmentId: n.Attachment, PrivateIpv4Address: n.IPv4, Ipv6Address: n.IPv6})
	}
	for _, a := range s.ManagedAgents {
		c.ManagedAgents = append(c.ManagedAgents, ecstypes.ManagedAgent{Name: ecstypes.ManagedAgentName(a.Name), LastStatus: a.Last,
			Reason: a.Reason, LastStartedAt: fromMS(a.LastStartedAt)})
	}
	return c
}
