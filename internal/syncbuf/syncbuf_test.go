package syncbuf

import (
	"fmt"
	"sync"
	"testing"
)

func TestConcurrentWritesAllArrive(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Go(func() { fmt.Fprintf(&b, "%d;", i) })
		_ = b.String() // reading while others write is safe (-race)
	}
	wg.Wait()
	if n := len(b.String()); n != 20 {
		t.Fatalf("%d bytes written, want 20: %q", n, b.String())
	}
}
