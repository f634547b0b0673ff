package model

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/wharfhq/wharf/api/ecstypes"
)

// fargateSizes lists, per task CPU (units), the memory values (MiB) Fargate
// accepts, as documented for Linux tasks: each row is a range stepped by
// `step`. For example 512 CPU takes 1024, 2048, 3072 or 4096 MiB.
var fargateSizes = []struct {
	cpu            int
	min, max, step int
	extra          []int // values outside the stepped range
}{
	{cpu: 256, extra: []int{512, 1024, 2048}},
	{cpu: 512, min: 1024, max: 4096, step: 1024},
	{cpu: 1024, min: 2048, max: 8192, step: 1024},
	{cpu: 2048, min: 4096, max: 16384, step: 1024},
	{cpu: 4096, min: 8192, max: 30720, step: 1024},
	{cpu: 8192, min: 16384, max: 61440, step: 4096},
	{cpu: 16384, min: 32768, max: 122880, step: 8192},
}

// FargateSizeValid reports whether cpu units and memory MiB form one of
// Fargate's task sizes.
func FargateSizeValid(cpu, memory int) bool {
	for _, row := range fargateSizes {
		if row.cpu != cpu {
			continue
		}
		for _, m := range row.extra {
			if m == memory {
				return true
			}
		}
		return row.step > 0 && memory >= row.min && memory <= row.max && (memory-row.min)%row.step == 0
	}
	return false
}

// ParseTaskCPU reads a task-level cpu value: CPU units ("1024") or vCPUs
// ("1 vCPU", "0.5 vcpu"), as RegisterTaskDefinition accepts. It returns units.
func ParseTaskCPU(s string) (int, error) {
	t := strings.TrimSpace(strings.ToLower(s))
	if v, ok := strings.CutSuffix(t, "vcpu"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f <= 0 {
			return 0, fmt.Errorf("invalid cpu value %q", s)
		}
		return int(f * 1024), nil
	}
	n, err := strconv.Atoi(t)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("invalid cpu value %q: give CPU units (\"1024\") or vCPUs (\"1 vCPU\")", s)
	}
	return n, nil
}

// ParseTaskMemory reads a task-level memory value: MiB ("2048") or GB
// ("2 GB", "0.5gb"). It returns MiB.
func ParseTaskMemory(s string) (int, error) {
	t := strings.TrimSpace(strings.ToLower(s))
	if v, ok := strings.CutSuffix(t, "gb"); ok {
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f <= 0 {
			return 0, fmt.Errorf("invalid memory value %q", s)
		}
		return int(f * 1024), nil
	}
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(strings.TrimSuffix(t, "mib")), "mb"))
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("invalid memory value %q: give MiB (\"2048\") or GB (\"2 GB\")", s)
	}
	return n, nil
}

// FargateProviders are the capacity providers AWS manages; every other
// provider is an Auto Scaling group's, whose tasks run on container
// instances (launch type EC2).
var FargateProviders = []string{"FARGATE", "FARGATE_SPOT"}

// ProviderLaunchType is the launch type of the tasks a capacity provider
// runs: FARGATE for FARGATE and FARGATE_SPOT, EC2 for the others.
func ProviderLaunchType(provider string) ecstypes.LaunchType {
	if slices.Contains(FargateProviders, provider) {
		return ecstypes.LaunchTypeFargate
	}
	return ecstypes.LaunchTypeEc2
}
