package elbv2_test

import (
	"context"
	"errors"
	"net"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"
	"github.com/aws/smithy-go"

	"github.com/wharfhq/wharf/internal/wharftest"
)

// wantCode fails unless err is an AWS API error with code and a message.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want %s, got %v", code, err)
	}
	if ae.ErrorCode() != code {
		t.Fatalf("want %s, got %s: %s", code, ae.ErrorCode(), ae.ErrorMessage())
	}
	if ae.ErrorMessage() == "" {
		t.Fatalf("%s has no message", code)
	}
}

// must(call)(t) returns call's value, failing the test on its error.
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func client(w *wharftest.Wharf, region string) *elb.Client {
	return elb.NewFromConfig(w.Config(region))
}

// freePort returns a loopback port nothing listens on (bound, then closed).
// missingARN is arn with its last character (a hex digit of its id)
// changed to another, so always a well-formed ARN of nothing: a fixed
// replacement digit would equal the real one once in sixteen runs.
func missingARN(arn string) string {
	last := arn[len(arn)-1]
	other := byte('0')
	if last == '0' {
		other = '1'
	}
	return arn[:len(arn)-1] + string(other)
}

func freePort(t *testing.T) int32 {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return int32(ln.Addr().(*net.TCPAddr).Port)
}

var (
	lbARNRE = regexp.MustCompile(`^arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/[0-9a-f]{16}$`)
	dnsRE   = regexp.MustCompile(`^web-[0-9]{10}\.us-east-1\.elb\.localhost$`)
)

func TestLoadBalancerLifecycle(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := client(w, "us-east-1"), context.Background()

	out := must(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("web"), Subnets: []string{"subnet-a", "subnet-b"},
		SecurityGroups: []string{"sg-1"}, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("test")}}}))(t)
	lb := out.LoadBalancers[0]
	arn := aws.ToString(lb.LoadBalancerArn)
	if !lbARNRE.MatchString(arn) || !dnsRE.MatchString(aws.ToString(lb.DNSName)) {
		t.Fatalf("ARN %s DNS %s", arn, aws.ToString(lb.DNSName))
	}
	if lb.State.Code != types.LoadBalancerStateEnumActive || lb.Type != types.LoadBalancerTypeEnumApplication ||
		lb.Scheme != types.LoadBalancerSchemeEnumInternetFacing || lb.IpAddressType != types.IpAddressTypeIpv4 ||
		len(lb.AvailabilityZones) != 2 || aws.ToString(lb.AvailabilityZones[1].SubnetId) != "subnet-b" ||
		lb.CreatedTime == nil || aws.ToString(lb.VpcId) == "" || aws.ToString(lb.CanonicalHostedZoneId) == "" || lb.SecurityGroups[0] != "sg-1" {
		t.Fatalf("load balancer %+v", lb)
	}

	t.Run("create again answers the same", func(t *testing.T) {
		again := must(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("web")}))(t)
		if aws.ToString(again.LoadBalancers[0].LoadBalancerArn) != arn {
			t.Fatalf("got %s", aws.ToString(again.LoadBalancers[0].LoadBalancerArn))
		}
	})
	t.Run("errors", func(t *testing.T) {
		_, err := c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("web"), Scheme: types.LoadBalancerSchemeEnumInternal})
		wantCode(t, err, "DuplicateLoadBalancerName")
		for _, name := range []string{"-web", "web_1", strings.Repeat("a", 33), "internal-web"} {
			_, err = c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String(name)})
			wantCode(t, err, "ValidationError")
		}
		_, err = c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("nlb"), Type: types.LoadBalancerTypeEnumNetwork})
		wantCode(t, err, "ValidationError")
		_, err = c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("x")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("x2"), Scheme: "sideways"})
		wantCode(t, err, "ValidationError")
		_, err = c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"nope"}})
		wantCode(t, err, "LoadBalancerNotFound")
		_, err = c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{strings.Replace(arn, "/web/", "/other/", 1)}})
		wantCode(t, err, "LoadBalancerNotFound")
		_, err = c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{"arn:aws:ecs:us-east-1:000000000000:cluster/x"}})
		wantCode(t, err, "ValidationError")
	})
	t.Run("internal", func(t *testing.T) {
		in := must(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("inner"), Scheme: types.LoadBalancerSchemeEnumInternal}))(t)
		if !strings.HasPrefix(aws.ToString(in.LoadBalancers[0].DNSName), "internal-inner-") {
			t.Fatalf("DNS %s", aws.ToString(in.LoadBalancers[0].DNSName))
		}
	})
	t.Run("describe and page", func(t *testing.T) {
		all := must(c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{}))(t)
		var names []string
		for _, l := range all.LoadBalancers {
			names = append(names, aws.ToString(l.LoadBalancerName))
		}
		if strings.Join(names, ",") != "inner,web,x" || all.NextMarker != nil {
			t.Fatalf("names %v next %v", names, all.NextMarker)
		}
		var paged []string
		p := elb.NewDescribeLoadBalancersPaginator(c, &elb.DescribeLoadBalancersInput{PageSize: aws.Int32(1)})
		for p.HasMorePages() {
			pg := must(p.NextPage(ctx))(t)
			for _, l := range pg.LoadBalancers {
				paged = append(paged, aws.ToString(l.LoadBalancerName))
			}
		}
		if strings.Join(paged, ",") != "inner,web,x" {
			t.Fatalf("paged %v", paged)
		}
		_, err := c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Marker: aws.String("garbage!")})
		wantCode(t, err, "ValidationError")
		_, err = c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{PageSize: aws.Int32(401)})
		wantCode(t, err, "ValidationError")
		byName := must(c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"web"}}))(t)
		byARN := must(c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{arn}}))(t)
		if aws.ToString(byName.LoadBalancers[0].LoadBalancerArn) != arn || aws.ToString(byARN.LoadBalancers[0].LoadBalancerName) != "web" {
			t.Fatal("describe by name or ARN")
		}
	})
	t.Run("regions are separate", func(t *testing.T) {
		eu := must(client(w, "eu-west-1").DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{}))(t)
		if len(eu.LoadBalancers) != 0 {
			t.Fatalf("eu-west-1 sees %d load balancers", len(eu.LoadBalancers))
		}
		_, err := client(w, "eu-west-1").DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{arn}})
		wantCode(t, err, "LoadBalancerNotFound")
	})
	t.Run("attributes and deletion protection", func(t *testing.T) {
		attrs := must(c.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(arn)}))(t)
		if attr(attrs.Attributes, "idle_timeout.timeout_seconds") != "60" || attr(attrs.Attributes, "deletion_protection.enabled") != "false" {
			t.Fatalf("attributes %v", attrs.Attributes)
		}
		mod := must(c.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(arn),
			Attributes: []types.LoadBalancerAttribute{{Key: aws.String("deletion_protection.enabled"), Value: aws.String("true")}}}))(t)
		if attr(mod.Attributes, "deletion_protection.enabled") != "true" {
			t.Fatalf("modified %v", mod.Attributes)
		}
		_, err := c.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(arn)})
		wantCode(t, err, "OperationNotPermitted")
		for _, bad := range [][2]string{{"no.such.attribute", "1"}, {"idle_timeout.timeout_seconds", "0"}, {"deletion_protection.enabled", "maybe"}} {
			_, err = c.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(arn),
				Attributes: []types.LoadBalancerAttribute{{Key: aws.String(bad[0]), Value: aws.String(bad[1])}}})
			wantCode(t, err, "ValidationError")
		}
		must(c.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(arn),
			Attributes: []types.LoadBalancerAttribute{{Key: aws.String("deletion_protection.enabled"), Value: aws.String("false")}}}))(t)
	})
	t.Run("delete", func(t *testing.T) {
		must(c.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(arn)}))(t)
		_, err := c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{arn}})
		wantCode(t, err, "LoadBalancerNotFound")
		must(c.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(arn)}))(t) // gone already: fine
		_, err = c.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String("not-an-arn")})
		wantCode(t, err, "ValidationError")
	})
}

func attr[T interface {
	types.LoadBalancerAttribute | types.TargetGroupAttribute
}](attrs []T, key string) string {
	for _, a := range attrs {
		var k, v *string
		switch x := any(a).(type) {
		case types.LoadBalancerAttribute:
			k, v = x.Key, x.Value
		case types.TargetGroupAttribute:
			k, v = x.Key, x.Value
		}
		if aws.ToString(k) == key {
			return aws.ToString(v)
		}
	}
	return "<absent>"
}
