package elbv2_test

import (
	"context"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

func client(w *wharftest.Wharf, region string) *elb.Client {
	return apitest.Client(w, region, elb.NewFromConfig)
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

var (
	lbARNRE = regexp.MustCompile(`^arn:aws:elasticloadbalancing:us-east-1:000000000000:loadbalancer/app/web/[0-9a-f]{16}$`)
	dnsRE   = regexp.MustCompile(`^web-[0-9]{10}\.us-east-1\.elb\.localhost$`)
)

func TestLoadBalancerLifecycle(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := client(w, "us-east-1"), context.Background()

	out := apitest.Must(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("web"), Subnets: []string{"subnet-a", "subnet-b"},
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
		again := apitest.Must(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("web")}))(t)
		if aws.ToString(again.LoadBalancers[0].LoadBalancerArn) != arn {
			t.Fatalf("got %s", aws.ToString(again.LoadBalancers[0].LoadBalancerArn))
		}
	})
	t.Run("errors", func(t *testing.T) {
		_, err := c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("web"), Scheme: types.LoadBalancerSchemeEnumInternal})
		apitest.WantCode(t, err, "DuplicateLoadBalancerName")
		for _, name := range []string{"-web", "web_1", strings.Repeat("a", 33), "internal-web"} {
			_, err = c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String(name)})
			apitest.WantCode(t, err, "ValidationError")
		}
		_, err = c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("nlb"), Type: types.LoadBalancerTypeEnumNetwork})
		apitest.WantCode(t, err, "ValidationError")
		_, err = c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("x")})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("x2"), Scheme: "sideways"})
		apitest.WantCode(t, err, "ValidationError")
		_, err = c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"nope"}})
		apitest.WantCode(t, err, "LoadBalancerNotFound")
		_, err = c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{strings.Replace(arn, "/web/", "/other/", 1)}})
		apitest.WantCode(t, err, "LoadBalancerNotFound")
		_, err = c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{"arn:aws:ecs:us-east-1:000000000000:cluster/x"}})
		apitest.WantCode(t, err, "ValidationError")
	})
	t.Run("internal", func(t *testing.T) {
		in := apitest.Must(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("inner"), Scheme: types.LoadBalancerSchemeEnumInternal}))(t)
		if !strings.HasPrefix(aws.ToString(in.LoadBalancers[0].DNSName), "internal-inner-") {
			t.Fatalf("DNS %s", aws.ToString(in.LoadBalancers[0].DNSName))
		}
	})
	t.Run("describe and page", func(t *testing.T) {
		all := apitest.Must(c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{}))(t)
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
			pg := apitest.Must(p.NextPage(ctx))(t)
			for _, l := range pg.LoadBalancers {
				paged = append(paged, aws.ToString(l.LoadBalancerName))
			}
		}
		if strings.Join(paged, ",") != "inner,web,x" {
			t.Fatalf("paged %v", paged)
		}
		_, err := c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Marker: aws.String("garbage!")})
		apitest.WantCode(t, err, "ValidationError")
		_, err = c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{PageSize: aws.Int32(401)})
		apitest.WantCode(t, err, "ValidationError")
		byName := apitest.Must(c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{Names: []string{"web"}}))(t)
		byARN := apitest.Must(c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{arn}}))(t)
		if aws.ToString(byName.LoadBalancers[0].LoadBalancerArn) != arn || aws.ToString(byARN.LoadBalancers[0].LoadBalancerName) != "web" {
			t.Fatal("describe by name or ARN")
		}
	})
	t.Run("regions are separate", func(t *testing.T) {
		eu := apitest.Must(client(w, "eu-west-1").DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{}))(t)
		if len(eu.LoadBalancers) != 0 {
			t.Fatalf("eu-west-1 sees %d load balancers", len(eu.LoadBalancers))
		}
		_, err := client(w, "eu-west-1").DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{arn}})
		apitest.WantCode(t, err, "LoadBalancerNotFound")
	})
	t.Run("attributes and deletion protection", func(t *testing.T) {
		attrs := apitest.Must(c.DescribeLoadBalancerAttributes(ctx, &elb.DescribeLoadBalancerAttributesInput{LoadBalancerArn: aws.String(arn)}))(t)
		if attr(attrs.Attributes, "idle_timeout.timeout_seconds") != "60" || attr(attrs.Attributes, "deletion_protection.enabled") != "false" {
			t.Fatalf("attributes %v", attrs.Attributes)
		}
		mod := apitest.Must(c.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(arn),
			Attributes: []types.LoadBalancerAttribute{{Key: aws.String("deletion_protection.enabled"), Value: aws.String("true")}}}))(t)
		if attr(mod.Attributes, "deletion_protection.enabled") != "true" {
			t.Fatalf("modified %v", mod.Attributes)
		}
		_, err := c.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(arn)})
		apitest.WantCode(t, err, "OperationNotPermitted")
		for _, bad := range [][2]string{{"no.such.attribute", "1"}, {"idle_timeout.timeout_seconds", "0"}, {"deletion_protection.enabled", "maybe"}} {
			_, err = c.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(arn),
				Attributes: []types.LoadBalancerAttribute{{Key: aws.String(bad[0]), Value: aws.String(bad[1])}}})
			apitest.WantCode(t, err, "ValidationError")
		}
		apitest.Must(c.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(arn),
			Attributes: []types.LoadBalancerAttribute{{Key: aws.String("deletion_protection.enabled"), Value: aws.String("false")}}}))(t)
	})
	t.Run("delete", func(t *testing.T) {
		apitest.Must(c.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(arn)}))(t)
		_, err := c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{arn}})
		apitest.WantCode(t, err, "LoadBalancerNotFound")
		apitest.Must(c.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(arn)}))(t) // gone already: fine
		_, err = c.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String("not-an-arn")})
		apitest.WantCode(t, err, "ValidationError")
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
