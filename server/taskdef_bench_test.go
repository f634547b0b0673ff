package server_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/wharfhq/wharf/internal/wharftest"
)

// BenchmarkDescribeTaskDefinitionFamily measures DescribeTaskDefinition by
// family name (the latest ACTIVE revision) with 100 and 2,000 revisions in
// the family: an index read, so the two should cost the same. It prints
// p50/p99; run it with -benchtime 1x.
func BenchmarkDescribeTaskDefinitionFamily(b *testing.B) {
	for _, revs := range []int{100, 2000} {
		b.Run(fmt.Sprintf("revisions=%d", revs), func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				w := wharftest.Start(b)
				c := w.ECS()
				ctx := context.Background()
				registerRevisions(b, c, "many", revs)
				b.StartTimer()
				measure(b, fmt.Sprintf("DescribeTaskDefinition(revisions=%d)", revs), 200, func() error {
					out, err := c.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("many")})
					if err == nil && out.TaskDefinition.Revision != int32(revs) {
						err = fmt.Errorf("revision %d, want %d", out.TaskDefinition.Revision, revs)
					}
					return err
				})
				b.StopTimer()
				w.Stop()
			}
		})
	}
}

// registerRevisions registers n revisions of family from 8 clients.
func registerRevisions(b *testing.B, c *ecs.Client, family string, n int) {
	b.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	next := make(chan struct{}, n)
	for range n {
		next <- struct{}{}
	}
	close(next)
	for range 8 {
		wg.Go(func() {
			for range next {
				if _, err := c.RegisterTaskDefinition(context.Background(), taskDefInput(family)); err != nil {
					mu.Lock()
					first = err
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if first != nil {
		b.Fatal(first)
	}
}

func taskDefInput(family string) *ecs.RegisterTaskDefinitionInput {
	return &ecs.RegisterTaskDefinitionInput{Family: aws.String(family),
		ContainerDefinitions: []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("wharf-test/app:latest"),
			Cpu: 1, Memory: aws.Int32(6), PortMappings: []types.PortMapping{{ContainerPort: aws.Int32(8080)}},
			Environment: []types.KeyValuePair{{Name: aws.String("A"), Value: aws.String("b")}}}}}
}
