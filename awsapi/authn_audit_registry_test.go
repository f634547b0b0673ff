package awsapi

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
)

// TestAuditRegistry: a docker push's and pull's registry calls are
// recorded under ECR's event names; the version check is not.
func TestAuditRegistry(t *testing.T) {
	cases := []struct {
		name, method, path, host string
		status                   int
		wantEvent, wantRegion    string
	}{
		{"start a layer upload", http.MethodPost, "/v2/team/app/blobs/uploads/", "127.0.0.1:8555", 202, "InitiateLayerUpload", DefaultRegion},
		{"upload a chunk", http.MethodPatch, "/v2/app/blobs/uploads/5f1c", "127.0.0.1:8555", 202, "UploadLayerPart", DefaultRegion},
		{"finish the upload", http.MethodPut, "/v2/app/blobs/uploads/5f1c", "127.0.0.1:8555", 201, "CompleteLayerUpload", DefaultRegion},
		{"check a layer", http.MethodHead, "/v2/app/blobs/sha256:ab", "127.0.0.1:8555", 404, "BatchCheckLayerAvailability", DefaultRegion},
		{"push the manifest", http.MethodPut, "/v2/app/manifests/v1", "000000000000.dkr.ecr.eu-west-1.amazonaws.com", 201, "PutImage", "eu-west-1"},
		{"pull the manifest", http.MethodGet, "/v2/app/manifests/v1", "127.0.0.1:8555", 200, "BatchGetImage", DefaultRegion},
		{"pull a layer", http.MethodGet, "/v2/app/blobs/sha256:ab", "127.0.0.1:8555", 200, "GetDownloadUrlForLayer", DefaultRegion},
		{"version check is not an event", http.MethodGet, "/v2/", "127.0.0.1:8555", 200, "", ""},
		{"tag list is not an event", http.MethodGet, "/v2/app/tags/list", "127.0.0.1:8555", 200, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := NewServer(slog.New(slog.DiscardHandler), "")
			var got []AuditRecord
			s.SetAuditor(func(a AuditRecord) { got = append(got, a) })
			h := s.AuditRegistry(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(tc.status) }))
			req := httptest.NewRequest(tc.method, tc.path, nil)
			req.Host = tc.host
			h.ServeHTTP(httptest.NewRecorder(), req)
			if tc.wantEvent == "" {
				if len(got) != 0 {
					t.Fatalf("recorded %+v", got)
				}
				return
			}
			if len(got) != 1 {
				t.Fatalf("recorded %d events", len(got))
			}
			a := got[0]
			if a.Operation != tc.wantEvent || a.Service != "ecr" || a.Region != tc.wantRegion || a.Status != tc.status {
				t.Fatalf("recorded %s %s %s %d, want %s ecr %s %d", a.Operation, a.Service, a.Region, a.Status, tc.wantEvent, tc.wantRegion, tc.status)
			}
		})
	}
}
