package elbv2_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

var tgARNRE = regexp.MustCompile(`^arn:aws:elasticloadbalancing:us-east-1:000000000000:targetgroup/api/[0-9a-f]{16}$`)

func TestTargetGroups(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := client(w, "us-east-1"), context.Background()

	def := apitest.Must(c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("inst"), Protocol: types.ProtocolEnumHttp,
		Port: aws.Int32(80), VpcId: aws.String("vpc-123")}))(t).TargetGroups[0]
	if def.TargetType != types.TargetTypeEnumInstance || aws.ToInt32(def.HealthCheckIntervalSeconds) != 30 ||
		aws.ToInt32(def.HealthCheckTimeoutSeconds) != 6 || aws.ToInt32(def.HealthyThresholdCount) != 5 ||
		aws.ToInt32(def.UnhealthyThresholdCount) != 2 || aws.ToString(def.Matcher.HttpCode) != "200" ||
		aws.ToString(def.HealthCheckPath) != "/" || aws.ToString(def.HealthCheckPort) != "traffic-port" ||
		def.HealthCheckProtocol != types.ProtocolEnumHttp || !aws.ToBool(def.HealthCheckEnabled) || aws.ToString(def.VpcId) != "vpc-123" {
		t.Fatalf("defaults %+v", def)
	}
	secure := apitest.Must(c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("secure"), Protocol: types.ProtocolEnumHttps,
		Port: aws.Int32(443)}))(t).TargetGroups[0]
	if got := aws.ToInt32(secure.HealthCheckTimeoutSeconds); got != 10 || secure.HealthCheckProtocol != types.ProtocolEnumHttps {
		t.Fatalf("an HTTPS target group's default health check timeout is %d s over %s, want 10 s over HTTPS", got, secure.HealthCheckProtocol)
	}
	apitest.Must(c.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: secure.TargetGroupArn}))(t)

	in := &elb.CreateTargetGroupInput{Name: aws.String("api"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(8080),
		TargetType: types.TargetTypeEnumIp, HealthCheckPath: aws.String("/health"), HealthCheckIntervalSeconds: aws.Int32(10),
		HealthCheckTimeoutSeconds: aws.Int32(3), HealthyThresholdCount: aws.Int32(3), UnhealthyThresholdCount: aws.Int32(4),
		Matcher: &types.Matcher{HttpCode: aws.String("200-299")}, Tags: []types.Tag{{Key: aws.String("team"), Value: aws.String("a")}}}
	tg := apitest.Must(c.CreateTargetGroup(ctx, in))(t).TargetGroups[0]
	arn := aws.ToString(tg.TargetGroupArn)
	if !tgARNRE.MatchString(arn) || tg.TargetType != types.TargetTypeEnumIp || aws.ToInt32(tg.Port) != 8080 ||
		aws.ToString(tg.HealthCheckPath) != "/health" || aws.ToInt32(tg.HealthCheckIntervalSeconds) != 10 ||
		aws.ToInt32(tg.UnhealthyThresholdCount) != 4 || aws.ToString(tg.Matcher.HttpCode) != "200-299" || len(tg.LoadBalancerArns) != 0 {
		t.Fatalf("target group %+v", tg)
	}

	t.Run("create again", func(t *testing.T) {
		again := apitest.Must(c.CreateTargetGroup(ctx, in))(t).TargetGroups[0]
		if aws.ToString(again.TargetGroupArn) != arn {
			t.Fatal("a second identical CreateTargetGroup made another group")
		}
		other := *in
		other.Port = aws.Int32(9090)
		_, err := c.CreateTargetGroup(ctx, &other)
		apitest.WantCode(t, err, "DuplicateTargetGroupName")
	})
	t.Run("validation", func(t *testing.T) {
		bad := func(mod func(*elb.CreateTargetGroupInput), code string) {
			t.Helper()
			in := &elb.CreateTargetGroupInput{Name: aws.String("bad"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80), TargetType: types.TargetTypeEnumIp}
			mod(in)
			_, err := c.CreateTargetGroup(ctx, in)
			apitest.WantCode(t, err, code)
		}
		bad(func(in *elb.CreateTargetGroupInput) {
			in.HealthCheckTimeoutSeconds, in.HealthCheckIntervalSeconds = aws.Int32(10), aws.Int32(10)
		}, "ValidationError")
		bad(func(in *elb.CreateTargetGroupInput) { in.HealthCheckIntervalSeconds = aws.Int32(4) }, "ValidationError")
		bad(func(in *elb.CreateTargetGroupInput) { in.HealthyThresholdCount = aws.Int32(11) }, "ValidationError")
		bad(func(in *elb.CreateTargetGroupInput) { in.Matcher = &types.Matcher{HttpCode: aws.String("600")} }, "ValidationError")
		bad(func(in *elb.CreateTargetGroupInput) { in.HealthCheckPath = aws.String("health") }, "ValidationError")
		bad(func(in *elb.CreateTargetGroupInput) { in.HealthCheckPort = aws.String("70000") }, "ValidationError")
		bad(func(in *elb.CreateTargetGroupInput) { in.Protocol = types.ProtocolEnumTcp }, "UnsupportedProtocol")
		bad(func(in *elb.CreateTargetGroupInput) { in.TargetType = types.TargetTypeEnumLambda }, "ValidationError")
		bad(func(in *elb.CreateTargetGroupInput) { in.Port = nil }, "ValidationError")
		bad(func(in *elb.CreateTargetGroupInput) { in.Name = aws.String("no spaces") }, "ValidationError")
	})
	t.Run("describe", func(t *testing.T) {
		all := apitest.Must(c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{}))(t)
		if len(all.TargetGroups) != 2 || aws.ToString(all.TargetGroups[0].TargetGroupName) != "api" {
			t.Fatalf("all: %d", len(all.TargetGroups))
		}
		byName := apitest.Must(c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{"api"}}))(t)
		byARN := apitest.Must(c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{arn}}))(t)
		if aws.ToString(byName.TargetGroups[0].TargetGroupArn) != arn || aws.ToString(byARN.TargetGroups[0].TargetGroupName) != "api" {
			t.Fatal("by name or ARN")
		}
		_, err := c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{Names: []string{"nope"}})
		apitest.WantCode(t, err, "TargetGroupNotFound")
		_, err = c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{missingARN(arn)}})
		apitest.WantCode(t, err, "TargetGroupNotFound")
	})
	t.Run("modify", func(t *testing.T) {
		mod := apitest.Must(c.ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{TargetGroupArn: aws.String(arn), HealthCheckPath: aws.String("/ready"),
			HealthCheckIntervalSeconds: aws.Int32(15), Matcher: &types.Matcher{HttpCode: aws.String("200,204")}}))(t).TargetGroups[0]
		if aws.ToString(mod.HealthCheckPath) != "/ready" || aws.ToInt32(mod.HealthCheckIntervalSeconds) != 15 ||
			aws.ToString(mod.Matcher.HttpCode) != "200,204" || aws.ToInt32(mod.HealthCheckTimeoutSeconds) != 3 {
			t.Fatalf("modified %+v", mod)
		}
		_, err := c.ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{TargetGroupArn: aws.String(arn), HealthCheckTimeoutSeconds: aws.Int32(20)})
		apitest.WantCode(t, err, "ValidationError")
	})
	t.Run("attributes", func(t *testing.T) {
		attrs := apitest.Must(c.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(arn)}))(t)
		if attr(attrs.Attributes, "deregistration_delay.timeout_seconds") != "300" || attr(attrs.Attributes, "load_balancing.algorithm.type") != "round_robin" {
			t.Fatalf("defaults %v", attrs.Attributes)
		}
		mod := apitest.Must(c.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(arn),
			Attributes: []types.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("10")},
				{Key: aws.String("load_balancing.algorithm.type"), Value: aws.String("least_outstanding_requests")}}}))(t)
		if attr(mod.Attributes, "deregistration_delay.timeout_seconds") != "10" || attr(mod.Attributes, "load_balancing.algorithm.type") != "least_outstanding_requests" {
			t.Fatalf("modified %v", mod.Attributes)
		}
		for _, kv := range [][2]string{{"deregistration_delay.timeout_seconds", "3601"}, {"load_balancing.algorithm.type", "fastest"}, {"bogus", "1"}} {
			_, err := c.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{TargetGroupArn: aws.String(arn),
				Attributes: []types.TargetGroupAttribute{{Key: aws.String(kv[0]), Value: aws.String(kv[1])}}})
			apitest.WantCode(t, err, "ValidationError")
		}
		_, err := c.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(missingARN(arn))})
		apitest.WantCode(t, err, "TargetGroupNotFound")
	})
	t.Run("delete", func(t *testing.T) {
		lb := apitest.Must(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("web")}))(t).LoadBalancers[0]
		l := apitest.Must(c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Protocol: types.ProtocolEnumHttp,
			Port: aws.Int32(apitest.FreePort(t)), DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(arn)}}}))(t)
		used := apitest.Must(c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{LoadBalancerArn: lb.LoadBalancerArn}))(t)
		if len(used.TargetGroups) != 1 || used.TargetGroups[0].LoadBalancerArns[0] != aws.ToString(lb.LoadBalancerArn) {
			t.Fatalf("groups of the load balancer: %+v", used.TargetGroups)
		}
		_, err := c.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: aws.String(arn)})
		apitest.WantCode(t, err, "ResourceInUse")
		apitest.Must(c.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: l.Listeners[0].ListenerArn}))(t)
		apitest.Must(c.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: aws.String(arn)}))(t)
		apitest.Must(c.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: aws.String(arn)}))(t) // gone: fine
		_, err = c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{arn}})
		apitest.WantCode(t, err, "TargetGroupNotFound")
	})
}

// health maps "ID:PORT" to "state/reason".
func health(t *testing.T, c *elb.Client, arn string, targets ...types.TargetDescription) map[string]string {
	t.Helper()
	out := apitest.Must(c.DescribeTargetHealth(context.Background(), &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(arn), Targets: targets}))(t)
	m := map[string]string{}
	for _, d := range out.TargetHealthDescriptions {
		if aws.ToString(d.HealthCheckPort) != fmt.Sprint(aws.ToInt32(d.Target.Port)) {
			t.Fatalf("health check port %s for target port %d", aws.ToString(d.HealthCheckPort), aws.ToInt32(d.Target.Port))
		}
		m[fmt.Sprintf("%s:%d", aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port))] = string(d.TargetHealth.State) + "/" + string(d.TargetHealth.Reason)
	}
	return m
}

func TestTargetsAndHealth(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := client(w, "us-east-1"), context.Background()
	ok := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer ok.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusServiceUnavailable) }))
	defer failing.Close()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	}))
	defer slow.Close()
	target := func(s *httptest.Server) types.TargetDescription {
		return types.TargetDescription{Id: aws.String("127.0.0.1"), Port: aws.Int32(portOf(s))}
	}
	dead := types.TargetDescription{Id: aws.String("127.0.0.1"), Port: aws.Int32(apitest.FreePort(t))}

	tg := aws.ToString(apitest.Must(c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("tg"), Protocol: types.ProtocolEnumHttp,
		Port: aws.Int32(80), TargetType: types.TargetTypeEnumIp, HealthCheckIntervalSeconds: aws.Int32(5), HealthCheckTimeoutSeconds: aws.Int32(2),
		HealthyThresholdCount: aws.Int32(2), UnhealthyThresholdCount: aws.Int32(2)}))(t).TargetGroups[0].TargetGroupArn)

	t.Run("invalid targets", func(t *testing.T) {
		_, err := c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(tg), Targets: []types.TargetDescription{{Id: aws.String("not-an-ip")}}})
		apitest.WantCode(t, err, "InvalidTarget")
		_, err = c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(tg), Targets: []types.TargetDescription{{Id: aws.String("10.0.0.1"), Port: aws.Int32(70000)}}})
		apitest.WantCode(t, err, "ValidationError")
		inst := apitest.Must(c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("inst"), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(80)}))(t)
		_, err = c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: inst.TargetGroups[0].TargetGroupArn, Targets: []types.TargetDescription{{Id: aws.String("10.0.0.1")}}})
		apitest.WantCode(t, err, "InvalidTarget")
		apitest.Must(c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: inst.TargetGroups[0].TargetGroupArn, Targets: []types.TargetDescription{{Id: aws.String("i-0123456789abcdef0")}}}))(t)
		_, err = c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(missingARN(tg)), Targets: []types.TargetDescription{target(ok)}})
		apitest.WantCode(t, err, "TargetGroupNotFound")
		_, err = c.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: aws.String(tg), Targets: []types.TargetDescription{{Id: aws.String("10.9.9.9")}}})
		apitest.WantCode(t, err, "InvalidTarget")
	})

	apitest.Must(c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(tg), Targets: []types.TargetDescription{target(ok), target(failing), target(slow), dead}}))(t)
	key := func(d types.TargetDescription) string { return fmt.Sprintf("127.0.0.1:%d", aws.ToInt32(d.Port)) }

	t.Run("unused until a listener forwards to the group", func(t *testing.T) {
		for k, s := range health(t, c, tg) {
			if s != "unused/Target.NotInUse" {
				t.Fatalf("%s: %s", k, s)
			}
		}
	})
	lb := apitest.Must(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("web")}))(t).LoadBalancers[0]
	apitest.Must(c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: lb.LoadBalancerArn, Protocol: types.ProtocolEnumHttp, Port: aws.Int32(apitest.FreePort(t)),
		DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(tg)}}}))(t)

	// The first check runs at once; failures need two checks 5s apart.
	want := map[string]string{
		key(target(ok)):      "healthy/",
		key(target(failing)): "unhealthy/Target.ResponseCodeMismatch",
		key(target(slow)):    "unhealthy/Target.Timeout",
		key(dead):            "unhealthy/Target.FailedHealthChecks",
	}
	var got map[string]string
	deadline := time.Now().Add(30 * time.Second)
	for {
		got = health(t, c, tg)
		if fmt.Sprint(got) == fmt.Sprint(want) {
			break
		}
		for k, s := range got {
			if s != want[k] && s != "initial/Elb.RegistrationInProgress" && s != "initial/Elb.InitialHealthChecking" {
				t.Fatalf("%s went %s on its way to %s", k, s, want[k])
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("health %v, want %v", got, want)
		}
		time.Sleep(100 * time.Millisecond)
	}

	t.Run("named targets", func(t *testing.T) {
		got := health(t, c, tg, target(ok), types.TargetDescription{Id: aws.String("10.1.1.1"), Port: aws.Int32(80)})
		if got[key(target(ok))] != "healthy/" || got["10.1.1.1:80"] != "unused/Target.NotRegistered" {
			t.Fatalf("%v", got)
		}
	})
	t.Run("deregister", func(t *testing.T) {
		apitest.Must(c.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: aws.String(tg), Targets: []types.TargetDescription{target(failing), dead}}))(t)
		// Nothing in flight: the drain ends at once.
		deadline := time.Now().Add(10 * time.Second)
		for len(health(t, c, tg)) != 2 {
			if time.Now().After(deadline) {
				t.Fatalf("still %v", health(t, c, tg))
			}
			time.Sleep(20 * time.Millisecond)
		}
	})
	t.Run("health checks disabled", func(t *testing.T) {
		apitest.Must(c.ModifyTargetGroup(ctx, &elb.ModifyTargetGroupInput{TargetGroupArn: aws.String(tg), HealthCheckEnabled: aws.Bool(false)}))(t)
		if s := health(t, c, tg)[key(target(slow))]; s != "unavailable/Target.HealthCheckDisabled" {
			t.Fatalf("%s", s)
		}
	})
}

func portOf(s *httptest.Server) int32 { return int32(s.Listener.Addr().(*net.TCPAddr).Port) }
