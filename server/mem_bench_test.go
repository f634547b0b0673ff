package server_test

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// runtimeMem is the process's memory: as the Go runtime sees it, and as
// the kernel counts it (resident set now and at its peak, which include
// the pages of the bbolt file mapped in: rssFile, which the kernel may
// drop and read again). The benchmark's own client
// shares the process, so each is an upper bound of wharf's.
type runtimeMem struct{ heapInuse, sys, rss, peakRSS, rssFile uint64 }

func (m *runtimeMem) read() {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.heapInuse, m.sys = ms.HeapInuse, ms.Sys
	m.rss, m.peakRSS, m.rssFile = procStatus("VmRSS:"), procStatus("VmHWM:"), procStatus("RssFile:")
}

// procStatus is a "kB" field of /proc/self/status in bytes (0 where there
// is no /proc).
func procStatus(field string) uint64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
