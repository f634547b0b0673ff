package runner

import (
	"bytes"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"syscall"
	"testing"
	"time"
)

func TestPauseProgramIsAStaticELF(t *testing.T) {
	for arch, machine := range map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64} {
		t.Run(arch, func(t *testing.T) {
			bin, err := pauseProgram(arch)
			if err != nil {
				t.Fatal(err)
			}
			f, err := elf.NewFile(bytes.NewReader(bin))
			if err != nil {
				t.Fatal(err)
			}
			if f.Machine != machine || f.Type != elf.ET_EXEC || f.Class != elf.ELFCLASS64 {
				t.Errorf("machine %v type %v class %v", f.Machine, f.Type, f.Class)
			}
			if len(f.Progs) != 1 || f.Progs[0].Type != elf.PT_LOAD || f.Progs[0].Flags != elf.PF_R|elf.PF_X {
				t.Fatalf("program headers %+v", f.Progs)
			}
			p := f.Progs[0]
			if f.Entry != loadAddr+codeOff || f.Entry >= p.Vaddr+p.Filesz || p.Filesz != uint64(len(bin)) {
				t.Errorf("entry %#x outside the segment %#x+%d", f.Entry, p.Vaddr, p.Filesz)
			}
			if set := loadAddr + codeOff + 64; set%8 != 0 {
				t.Errorf("sigset at %#x is not 8-byte aligned", set)
			}
		})
	}
	if _, err := pauseProgram("riscv64"); err == nil {
		t.Error("riscv64: no error")
	}
}

// The AArch64 encoders against what Go's own assembler produces for the
// same instructions (GOARCH=arm64 go tool asm; go tool objdump).
func TestARM64Encoding(t *testing.T) {
	tests := []struct {
		name string
		got  uint32
		want uint32
	}{
		{"MOVD $135, R8", movz(8, 135), 0xd28010e8},
		{"MOVD $137, R8", movz(8, 137), 0xd2801128},
		{"MOVD $94, R8", movz(8, 94), 0xd2800bc8},
		{"ADR 60(PC), R1", adr(1, 60), 0x100001e1},
		{"ADR 40(PC), R0", adr(0, 40), 0x10000140},
		{"TBNZ $63, R0, -6(PC)", tbnz63(0, -24), 0xb7ffff40},
		{"SVC $0", svc0, 0xd4000001},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %#08x, want %#08x", tt.name, tt.got, tt.want)
		}
	}
}

// TestPauseProgramRuns runs the program for this machine: it waits, and
// exits 0 on SIGTERM.
func TestPauseProgramRuns(t *testing.T) {
	if runtime.GOARCH != "amd64" && runtime.GOARCH != "arm64" || runtime.GOOS != "linux" {
		t.Skip("the pause program is for linux/amd64 and linux/arm64")
	}
	bin, _ := pauseProgram(runtime.GOARCH)
	path := filepath.Join(t.TempDir(), "pause")
	if err := os.WriteFile(path, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(path)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case err := <-exited:
		t.Fatalf("exited before any signal: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("after SIGTERM: %v, want exit 0", err)
		}
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("still running 5s after SIGTERM")
	}
}
