package server_test

import "runtime"

// runtimeMem is the process's memory as the Go runtime sees it; the
// benchmark's own client shares the process, so it is an upper bound of
// wharf's.
type runtimeMem struct{ heapInuse, sys uint64 }

func (m *runtimeMem) read() {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	m.heapInuse, m.sys = ms.HeapInuse, ms.Sys
}
