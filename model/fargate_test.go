package model

import "testing"

func TestFargateSizeValid(t *testing.T) {
	tests := []struct {
		name        string
		cpu, memory int
		want        bool
	}{
		{"smallest", 256, 512, true},
		{"quarter vCPU takes 2 GB", 256, 2048, true},
		{"quarter vCPU refuses 3 GB", 256, 3072, false},
		{"half vCPU 1 GB", 512, 1024, true},
		{"half vCPU 4 GB", 512, 4096, true},
		{"half vCPU 512 MiB is too little", 512, 512, false},
		{"1 vCPU 8 GB", 1024, 8192, true},
		{"1 vCPU off-step", 1024, 2500, false},
		{"4 vCPU 30 GB", 4096, 30720, true},
		{"8 vCPU steps by 4 GB", 8192, 20480, true},
		{"8 vCPU off-step", 8192, 17408, false},
		{"16 vCPU 120 GB", 16384, 122880, true},
		{"unknown cpu", 768, 2048, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := FargateSizeValid(tt.cpu, tt.memory); got != tt.want {
				t.Errorf("FargateSizeValid(%d, %d) = %v, want %v", tt.cpu, tt.memory, got, tt.want)
			}
		})
	}
}

func TestParseTaskSizes(t *testing.T) {
	cpu := map[string]int{"1024": 1024, "1 vCPU": 1024, "0.25 vcpu": 256, " 2 VCPU ": 2048}
	for in, want := range cpu {
		if got, err := ParseTaskCPU(in); err != nil || got != want {
			t.Errorf("ParseTaskCPU(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	mem := map[string]int{"512": 512, "2 GB": 2048, "0.5gb": 512, "1GB": 1024}
	for in, want := range mem {
		if got, err := ParseTaskMemory(in); err != nil || got != want {
			t.Errorf("ParseTaskMemory(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "abc", "-1", "0", "1.5"} {
		if _, err := ParseTaskCPU(bad); err == nil {
			t.Errorf("ParseTaskCPU(%q) accepted", bad)
		}
	}
}
