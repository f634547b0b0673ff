package server_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/wharfhq/wharf/internal/wharftest"
)

// BenchmarkAuthLatency measures what SigV4 verification adds to a call:
// ECS ListClusters through aws-sdk-go-v2 (which signs in both cases)
// against an in-process wharf with auth off and with --auth, reporting the
// per-call p50 and p99.
//
//	go test ./server -run '^$' -bench AuthLatency -benchtime 3000x
func BenchmarkAuthLatency(b *testing.B) {
	for _, mode := range []struct {
		name string
		auth bool
	}{{"off", false}, {"on", true}} {
		b.Run("auth="+mode.name, func(b *testing.B) {
			w := wharftest.StartWith(b, wharftest.Options{Auth: mode.auth})
			c := ecs.NewFromConfig(w.Config("us-east-1"))
			ctx := context.Background()
			for range 200 { // warm the connection and caches
				if _, err := c.ListClusters(ctx, &ecs.ListClustersInput{}); err != nil {
					b.Fatal(err)
				}
			}
			took := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				start := time.Now()
				if _, err := c.ListClusters(ctx, &ecs.ListClustersInput{}); err != nil {
					b.Fatal(err)
				}
				took = append(took, time.Since(start))
			}
			b.StopTimer()
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds()), "p99-µs")
		})
	}
}
