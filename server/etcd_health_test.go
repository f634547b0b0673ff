package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/wharfhq/wharf/internal/wharftest"
	"github.com/wharfhq/wharf/store/etcd/etcdtest"
)

// TestHealthReportsUnreachableEtcd stops the etcd under a running wharf:
// /_wharf/health turns 503 and names the store while etcd is gone, API
// writes fail with a 5xx rather than hang, and once etcd is back health
// is 200 again and writes go through.
func TestHealthReportsUnreachableEtcd(t *testing.T) {
	srv := etcdtest.Start(t)
	w := wharftest.StartWith(t, wharftest.Options{StoreEtcd: []string{srv.Endpoint()}, StoreEtcdPrefix: "/health/"})
	c, ctx := w.ECS(), context.Background()
	if code, status := health(t, w.URL()); code != http.StatusOK {
		t.Fatalf("health with etcd up = %d %q, want 200", code, status)
	}

	srv.Stop()
	code, status := health(t, w.URL())
	if code != http.StatusServiceUnavailable || !strings.HasPrefix(status, "store: ") {
		t.Fatalf("health with etcd stopped = %d %q, want 503 naming the store", code, status)
	}
	t.Logf("etcd stopped: health %d %q", code, status)
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	t0 := time.Now()
	_, err := c.CreateCluster(wctx, &ecs.CreateClusterInput{ClusterName: aws.String("down")}, func(o *ecs.Options) { o.RetryMaxAttempts = 1 })
	if err == nil {
		t.Fatal("CreateCluster with etcd stopped succeeded")
	}
	t.Logf("etcd stopped: CreateCluster failed after %s: %v", time.Since(t0).Round(time.Millisecond), err)

	srv.Restart()
	deadline := time.Now().Add(30 * time.Second)
	for code, status = health(t, w.URL()); code != http.StatusOK; code, status = health(t, w.URL()) {
		if time.Now().After(deadline) {
			t.Fatalf("health 30 s after etcd came back = %d %q, want 200", code, status)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if _, err := c.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("up")}); err != nil {
		t.Fatalf("CreateCluster once etcd is back: %v", err)
	}
}

// health is GET /_wharf/health's status code and "status" field.
func health(t *testing.T, url string) (int, string) {
	t.Helper()
	hc := &http.Client{Timeout: 10 * time.Second}
	resp, err := hc.Get(url + "/_wharf/health")
	if err != nil {
		t.Fatalf("GET /_wharf/health: %v", err)
	}
	defer resp.Body.Close()
	var body struct{ Status string }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("health body: %v", err)
	}
	return resp.StatusCode, body.Status
}
