package runner

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
)

// maxReason is the longest container reason ECS reports.
const maxReason = 255

// build is the task's status as DescribeTasks would show it.
func (r *Runner) build() agentproto.TaskStatus {
	t := r.task
	st := agentproto.TaskStatus{
		TaskARN:            t.arn,
		ClusterARN:         t.clusterARN,
		LastStatus:         r.status,
		StopCode:           r.stopCode,
		StoppedReason:      r.stoppedReason,
		PullStartedAt:      r.times.pullStarted,
		PullStoppedAt:      r.times.pullStopped,
		StartedAt:          r.times.started,
		StoppingAt:         r.times.stopping,
		ExecutionStoppedAt: r.times.executionStopped,
		Containers:         []ecstypes.Container{},
	}
	views := make([]cview, 0, len(r.ctrs))
	for _, c := range r.ctrs {
		views = append(views, c.cview())
		st.Containers = append(st.Containers, r.containerStatus(c))
	}
	st.HealthStatus = taskHealth(views)
	if r.pause != nil && r.pause.ip != "" {
		st.Attachments = []ecstypes.Attachment{r.attachment()}
	}
	return st
}

func (r *Runner) containerStatus(c *ctr) ecstypes.Container {
	out := ecstypes.Container{
		TaskArn:      new(r.task.arn),
		Name:         new(c.name),
		Image:        new(c.image),
		LastStatus:   new(containerStatus(c.phase)),
		HealthStatus: containerHealth(c.health),
		Cpu:          new(strconv.Itoa(int(c.def.Cpu))),
	}
	if c.id != "" {
		out.RuntimeId = new(c.id)
	}
	if c.imageID != "" {
		out.ImageDigest = new(c.imageID)
	}
	if c.def.Memory != nil {
		out.Memory = new(strconv.Itoa(int(*c.def.Memory)))
	}
	if c.def.MemoryReservation != nil {
		out.MemoryReservation = new(strconv.Itoa(int(*c.def.MemoryReservation)))
	}
	if c.phase == phaseStopped && c.exitCode != nil {
		out.ExitCode = new(int32(*c.exitCode))
	}
	if c.reason != "" {
		out.Reason = new(truncate(c.reason, maxReason))
	}
	if c.started {
		out.NetworkBindings = r.bindings(c)
	}
	if r.pause != nil && r.pause.ip != "" {
		out.NetworkInterfaces = []ecstypes.NetworkInterface{{AttachmentId: new(r.attachmentID()), PrivateIpv4Address: new(r.pause.ip)}}
	}
	return out
}

func containerStatus(p phase) string {
	switch p {
	case phaseRunning:
		return "RUNNING"
	case phaseStopped:
		return "STOPPED"
	}
	return "PENDING"
}

// bindings are where the container's port mappings are published: by the
// engine in bridge mode, through the pause container in awsvpc mode, the
// container port itself in host mode.
func (r *Runner) bindings(c *ctr) []ecstypes.NetworkBinding {
	var out []ecstypes.NetworkBinding
	switch r.task.mode {
	case ecstypes.NetworkModeBridge:
		for _, p := range c.ports {
			out = append(out, binding(p.HostIP, p.ContainerPort, p.HostPort, p.Protocol))
		}
	case ecstypes.NetworkModeHost:
		for _, pm := range c.def.PortMappings {
			if pm.ContainerPort != nil {
				out = append(out, binding("0.0.0.0", int(*pm.ContainerPort), int(*pm.ContainerPort), protocolOf(pm)))
			}
		}
	case ecstypes.NetworkModeAwsvpc:
		for _, pm := range c.def.PortMappings {
			for _, p := range r.pause.ports {
				if pm.ContainerPort != nil && p.ContainerPort == int(*pm.ContainerPort) && p.Protocol == protocolOf(pm) {
					out = append(out, binding(p.HostIP, p.ContainerPort, p.HostPort, p.Protocol))
				}
			}
		}
	}
	return out
}

func binding(ip string, container, host int, proto string) ecstypes.NetworkBinding {
	return ecstypes.NetworkBinding{
		BindIP: new(ip), ContainerPort: new(int32(container)), HostPort: new(int32(host)),
		Protocol: ecstypes.TransportProtocol(proto),
	}
}

// attachment is the awsvpc task's ENI, as ECS reports it: the pause
// container's bridge address is the task's private IP. Its ids derive from
// the task ARN, so that a runner adopting the task reports the same ones.
func (r *Runner) attachment() ecstypes.Attachment {
	status := "ATTACHED"
	if r.pause.phase == phaseStopped {
		status = "DETACHED"
	}
	kv := func(k, v string) ecstypes.KeyValuePair { return ecstypes.KeyValuePair{Name: new(k), Value: new(v)} }
	return ecstypes.Attachment{
		Id:     new(r.attachmentID()),
		Type:   new("ElasticNetworkInterface"),
		Status: new(status),
		Details: []ecstypes.KeyValuePair{
			kv("subnetId", r.task.subnet),
			kv("networkInterfaceId", "eni-"+shortHash("eni "+r.task.arn, 17)),
			kv("macAddress", r.pause.mac),
			kv("privateDnsName", privateDNSName(r.pause.ip, r.task.region)),
			kv("privateIPv4Address", r.pause.ip),
		},
	}
}

// attachmentID is a UUID (version 4 layout) derived from the task ARN.
func (r *Runner) attachmentID() string {
	h := shortHash("attachment "+r.task.arn, 32)
	return fmt.Sprintf("%s-%s-4%s-a%s-%s", h[0:8], h[8:12], h[13:16], h[17:20], h[20:32])
}

// privateDNSName is EC2's name for a private IP: ip-10-0-0-1.ec2.internal
// in us-east-1, ip-10-0-0-1.REGION.compute.internal elsewhere.
func privateDNSName(ip, region string) string {
	host := "ip-" + strings.ReplaceAll(ip, ".", "-")
	if region == "us-east-1" || region == "" {
		return host + ".ec2.internal"
	}
	return host + "." + region + ".compute.internal"
}

// truncate cuts s to at most n bytes, on a character boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
