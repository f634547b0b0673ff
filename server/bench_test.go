package server_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/wharftest"
)

// latencies collects per-call durations from parallel clients and reports
// throughput and percentiles as benchmark metrics.
type latencies struct {
	mu sync.Mutex
	d  []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.d = append(l.d, d)
	l.mu.Unlock()
}

func (l *latencies) report(b *testing.B, elapsed time.Duration) {
	slices.Sort(l.d)
	pct := func(p float64) float64 {
		if len(l.d) == 0 {
			return 0
		}
		return float64(l.d[int(float64(len(l.d)-1)*p)].Microseconds()) / 1000
	}
	b.ReportMetric(float64(len(l.d))/elapsed.Seconds(), "calls/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
}

// BenchmarkAPI measures RegisterTaskDefinition and DescribeTaskDefinition
// through aws-sdk-go-v2 over loopback HTTP, with 1, 8 and 32 clients.
func BenchmarkAPI(b *testing.B) {
	for _, clients := range []int{1, 8, 32} {
		b.Run(fmt.Sprintf("RegisterTaskDefinition/clients=%d", clients), func(b *testing.B) {
			w := wharftest.Start(b)
			c := w.ECS()
			var n atomic.Int64
			run(b, clients, func(ctx context.Context) error {
				_, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
					Family: aws.String(fmt.Sprintf("bench-%d", n.Add(1)%16)),
					ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("wharf-test/app:latest"),
						Memory: aws.Int32(128), PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}},
						Environment: []types.KeyValuePair{{Name: aws.String("A"), Value: aws.String("b")}}}},
				})
				return err
			})
		})
		b.Run(fmt.Sprintf("DescribeTaskDefinition/clients=%d", clients), func(b *testing.B) {
			w := wharftest.Start(b)
			c := w.ECS()
			ctx := context.Background()
			for i := range 10 {
				if _, err := c.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{Family: aws.String("read"),
					ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String(fmt.Sprintf("c%d", i)), Image: aws.String("i"), Memory: aws.Int32(64)}}}); err != nil {
					b.Fatal(err)
				}
			}
			run(b, clients, func(ctx context.Context) error {
				_, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("read")})
				return err
			})
		})
	}
}

// run spreads b.N calls over `clients` goroutines.
func run(b *testing.B, clients int, call func(context.Context) error) {
	var lat latencies
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if err := call(ctx); err != nil {
					errs <- err
					return
				}
				lat.add(time.Since(t0))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	close(errs)
	if err := <-errs; err != nil {
		b.Fatal(err)
	}
	lat.report(b, elapsed)
}
