package e2e

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/loadgen"
)

// webListener creates the load balancer lbName, an ip target group "web"
// on port 8080 (health checks on /health every 5 s, healthy and unhealthy
// after 2, a 5 s deregistration delay so draining is quick) and an HTTP
// listener on a free loopback port forwarding to it. It returns the target
// group's ARN and the listener's base URL.
func webListener(t testing.TB, ctx context.Context, lbc *elb.Client, lbName string) (tgARN *string, base string) {
	t.Helper()
	lb := apitest.Must(lbc.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String(lbName)}))(t).LoadBalancers[0]
	tg := apitest.Must(lbc.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("web"), Protocol: elbtypes.ProtocolEnumHttp,
		Port: aws.Int32(8080), TargetType: elbtypes.TargetTypeEnumIp, HealthCheckPath: aws.String("/health"),
		HealthCheckIntervalSeconds: aws.Int32(5), HealthCheckTimeoutSeconds: aws.Int32(2), HealthyThresholdCount: aws.Int32(2), UnhealthyThresholdCount: aws.Int32(2)}))(t).TargetGroups[0]
	apitest.Must(lbc.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: tg.TargetGroupArn,
		Attributes: []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("5")}}}))(t)
	port := apitest.FreePort(t)
	apitest.Must(lbc.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Protocol: elbtypes.ProtocolEnumHttp,
		Port: aws.Int32(port), DefaultActions: forwardTo(aws.ToString(tg.TargetGroupArn))}))(t)
	return tg.TargetGroupArn, "http://127.0.0.1:" + strconv.Itoa(int(port))
}

// requestLoop is a steady, bounded loop of GET base+"/" (at most 20,000
// requests, 5 ms apart) that counts the requests that fail or answer
// other than 200, so a test can prove a deployment drops none.
type requestLoop struct {
	sent, failed atomic.Int64
	lastErr      atomic.Value
	cancel       context.CancelFunc
	wg           sync.WaitGroup
}

// startRequestLoop starts the loop; it is stopped by stop or, if the test
// ends first, by the test's cleanup.
func startRequestLoop(t testing.TB, ctx context.Context, base string) *requestLoop {
	l := &requestLoop{}
	loopCtx, cancel := context.WithCancel(ctx)
	l.cancel = cancel
	l.wg.Go(func() {
		client := &http.Client{Timeout: 10 * time.Second}
		for loopCtx.Err() == nil && l.sent.Load() < 20000 {
			l.sent.Add(1)
			if err := loadgen.Get(client, base+"/"); err != nil {
				l.failed.Add(1)
				l.lastErr.Store(err.Error())
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
	t.Cleanup(l.stop)
	return l
}

// stop ends the loop and waits for its last request; calling it again is harmless.
func (l *requestLoop) stop() {
	l.cancel()
	l.wg.Wait()
}

// stopNoneFailed stops the loop and fails the test if any request failed
// during what (a phrase: "during the rolling deployment").
func (l *requestLoop) stopNoneFailed(t testing.TB, during string) {
	t.Helper()
	l.stop()
	if l.failed.Load() != 0 {
		t.Fatalf("%d of %d requests failed %s (last: %v)", l.failed.Load(), l.sent.Load(), during, l.lastErr.Load())
	}
	t.Logf("%d requests %s, none failed", l.sent.Load(), during)
}

// waitTargets polls DescribeTargetHealth (bounded) until the target group
// has n targets: the ones deregistered have finished draining.
func waitTargets(t testing.TB, lbc *elb.Client, tgARN *string, n int, what string) {
	t.Helper()
	waitCondition(t, 60*time.Second, what, func() bool {
		return len(apitest.Must(lbc.DescribeTargetHealth(context.Background(), &elb.DescribeTargetHealthInput{TargetGroupArn: tgARN}))(t).TargetHealthDescriptions) == n
	})
}
