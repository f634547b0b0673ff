package runner

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"encoding/binary"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/wharfhq/wharf/runtime/docker"
)

// The pause container runs a program of a few dozen bytes, made here as a
// static ELF executable: no registry is reachable, so the image is imported
// into the engine from a one-file root filesystem and tagged
// wharf/pause:<hash of the program>, once per engine.
//
// The program blocks SIGINT and SIGTERM, waits for one of them with
// rt_sigtimedwait, and exits 0. As PID 1 of its container it would ignore
// a signal it has no handler for, but a blocked signal stays pending, so
// `docker stop` ends it at once.

// pauseImageRepo is the repository of the pause image.
const pauseImageRepo = "wharf/pause"

var pauseMu sync.Mutex // one import at a time within this process

// ensurePauseImage makes sure the pause image exists on the engine and
// returns its reference.
func ensurePauseImage(ctx context.Context, rt Runtime) (string, error) {
	bin, err := pauseProgram(runtime.GOARCH)
	if err != nil {
		return "", err
	}
	ref := pauseImageRepo + ":" + shortHash(string(bin), 16)
	pauseMu.Lock()
	defer pauseMu.Unlock()
	if _, err := rt.ImageLabels(ctx, ref); err == nil {
		return ref, nil
	} else if !docker.IsNotFound(err) {
		return "", fmt.Errorf("pause image: inspect %s: %w", ref, err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	epoch := time.Unix(946684800, 0) // fixed: the same program gives the same layer
	if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: "pause", Mode: 0o755, Size: int64(len(bin)), ModTime: epoch}); err != nil {
		return "", err
	}
	if _, err := tw.Write(bin); err != nil {
		return "", err
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	if err := rt.ImportImage(ctx, ref, &buf, []string{`ENTRYPOINT ["/pause"]`, `LABEL wharf.pause="1"`}); err != nil {
		return "", fmt.Errorf("pause image: %w", err)
	}
	return ref, nil
}

// Signal numbers and the set the program waits for (bit n-1 for signal n).
const (
	sigINT   = 2
	sigTERM  = 15
	sigSet   = 1<<(sigINT-1) | 1<<(sigTERM-1)
	loadAddr = 0x400000
	codeOff  = 64 + 56 // ELF header, one program header
)

// pauseProgram is the pause program for a Go architecture.
func pauseProgram(goarch string) ([]byte, error) {
	switch goarch {
	case "amd64":
		return elfExecutable(elf.EM_X86_64, amd64Pause()), nil
	case "arm64":
		return elfExecutable(elf.EM_AARCH64, arm64Pause()), nil
	}
	return nil, fmt.Errorf("pause image: no pause program for %s", goarch)
}

// amd64Pause is, in x86-64 (the sigset at offset 64):
//
//	  mov eax, 14 (rt_sigprocmask); xor edi, edi (SIG_BLOCK)
//	  lea rsi, [rip+set]; xor edx, edx; mov r10d, 8; syscall
//	wait:
//	  mov eax, 128 (rt_sigtimedwait); lea rdi, [rip+set]
//	  xor esi, esi; xor edx, edx; mov r10d, 8; syscall
//	  test eax, eax; js wait
//	  mov eax, 231 (exit_group); xor edi, edi; syscall
func amd64Pause() []byte {
	code := []byte{
		0xb8, 0x0e, 0x00, 0x00, 0x00, // 0x00 mov eax, 14
		0x31, 0xff, // 0x05 xor edi, edi
		0x48, 0x8d, 0x35, 0x32, 0x00, 0x00, 0x00, // 0x07 lea rsi, [rip+0x32] (0x40)
		0x31, 0xd2, // 0x0e xor edx, edx
		0x41, 0xba, 0x08, 0x00, 0x00, 0x00, // 0x10 mov r10d, 8
		0x0f, 0x05, // 0x16 syscall
		0xb8, 0x80, 0x00, 0x00, 0x00, // 0x18 wait: mov eax, 128
		0x48, 0x8d, 0x3d, 0x1c, 0x00, 0x00, 0x00, // 0x1d lea rdi, [rip+0x1c] (0x40)
		0x31, 0xf6, // 0x24 xor esi, esi
		0x31, 0xd2, // 0x26 xor edx, edx
		0x41, 0xba, 0x08, 0x00, 0x00, 0x00, // 0x28 mov r10d, 8
		0x0f, 0x05, // 0x2e syscall
		0x85, 0xc0, // 0x30 test eax, eax
		0x78, 0xe4, // 0x32 js wait
		0xb8, 0xe7, 0x00, 0x00, 0x00, // 0x34 mov eax, 231
		0x31, 0xff, // 0x39 xor edi, edi
		0x0f, 0x05, // 0x3b syscall
		0x0f, 0x1f, 0x00, // 0x3d nop (pad to 0x40)
	}
	return binary.LittleEndian.AppendUint64(code, sigSet)
}

// arm64Pause is the same program in AArch64 (the sigset at offset 64):
//
//	  mov x8, #135 (rt_sigprocmask); mov x0, #0; adr x1, set
//	  mov x2, #0; mov x3, #8; svc #0
//	wait:
//	  mov x8, #137 (rt_sigtimedwait); adr x0, set
//	  mov x1, #0; mov x2, #0; mov x3, #8; svc #0
//	  tbnz x0, #63, wait
//	  mov x8, #94 (exit_group); mov x0, #0; svc #0
func arm64Pause() []byte {
	const set = 64
	words := []uint32{
		movz(8, 135), movz(0, 0), adr(1, set-8), movz(2, 0), movz(3, 8), svc0,
		movz(8, 137), adr(0, set-28), movz(1, 0), movz(2, 0), movz(3, 8), svc0,
		tbnz63(0, 24-48),
		movz(8, 94), movz(0, 0), svc0,
	}
	var code []byte
	for _, w := range words {
		code = binary.LittleEndian.AppendUint32(code, w)
	}
	return binary.LittleEndian.AppendUint64(code, sigSet)
}

const svc0 = 0xd4000001

// movz is MOVZ Xd, #imm16.
func movz(rd, imm uint32) uint32 { return 0xd2800000 | imm<<5 | rd }

// adr is ADR Xd, pc+off.
func adr(rd uint32, off int32) uint32 {
	u := uint32(off) & 0x1fffff
	return 0x10000000 | (u&3)<<29 | (u>>2)<<5 | rd
}

// tbnz63 is TBNZ Xt, #63, pc+off (branch if negative).
func tbnz63(rt uint32, off int32) uint32 {
	return 0xb7f80000 | (uint32(off/4)&0x3fff)<<5 | rt
}

// elfExecutable wraps code in a static ELF64 executable with one loadable,
// readable and executable segment: the whole file at loadAddr.
func elfExecutable(machine elf.Machine, code []byte) []byte {
	size := uint64(codeOff + len(code))
	h := elf.Header64{
		Type: uint16(elf.ET_EXEC), Machine: uint16(machine), Version: uint32(elf.EV_CURRENT),
		Entry: loadAddr + codeOff, Phoff: 64, Ehsize: 64, Phentsize: 56, Phnum: 1,
	}
	copy(h.Ident[:], elf.ELFMAG)
	h.Ident[elf.EI_CLASS] = byte(elf.ELFCLASS64)
	h.Ident[elf.EI_DATA] = byte(elf.ELFDATA2LSB)
	h.Ident[elf.EI_VERSION] = byte(elf.EV_CURRENT)
	p := elf.Prog64{
		Type: uint32(elf.PT_LOAD), Flags: uint32(elf.PF_R | elf.PF_X),
		Vaddr: loadAddr, Paddr: loadAddr, Filesz: size, Memsz: size, Align: 0x1000,
	}
	var buf bytes.Buffer
	_ = binary.Write(&buf, binary.LittleEndian, h) // cannot fail on a buffer
	_ = binary.Write(&buf, binary.LittleEndian, p)
	buf.Write(code)
	return buf.Bytes()
}
