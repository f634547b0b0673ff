package loadgen

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

func TestLoadCounts(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		wantOK bool
	}{
		{"200 succeeds", http.StatusOK, true},
		{"502 fails", http.StatusBadGateway, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(tc.status) }))
			defer srv.Close()
			l := Start(srv.URL, 2, 5, 5*time.Second)
			for deadline := time.Now().Add(10 * time.Second); l.OK.Load()+l.Failed.Load() < 10 && time.Now().Before(deadline); {
				time.Sleep(5 * time.Millisecond)
			}
			l.Stop()
			l.Stop() // harmless twice
			ok, failed := l.OK.Load(), l.Failed.Load()
			if ok+failed != 10 {
				t.Fatalf("%d ok + %d failed, want 10 requests", ok, failed)
			}
			if tc.wantOK && (failed != 0 || l.FirstErr() != nil) || !tc.wantOK && (ok != 0 || l.FirstErr() != "status 502") {
				t.Fatalf("ok %d failed %d first %v", ok, failed, l.FirstErr())
			}
		})
	}
}
