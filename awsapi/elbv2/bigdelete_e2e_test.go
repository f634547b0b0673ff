package elbv2_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

// TestDeleteTargetGroupMany deletes a target group with more targets than
// one store transaction may delete (tests run the store with etcd's bound
// of 128 keys): the registrations go in batches, the group with the last,
// and a group created again under the name has no targets.
func TestDeleteTargetGroupMany(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := client(w, "us-east-1"), context.Background()
	newTG := func() string {
		return aws.ToString(apitest.Must(c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("many"), Protocol: types.ProtocolEnumHttp,
			Port: aws.Int32(80), TargetType: types.TargetTypeEnumIp}))(t).TargetGroups[0].TargetGroupArn)
	}
	tg := newTG()
	const n = 300
	var ts []types.TargetDescription
	for j := range n {
		// Loopback addresses only: nothing outside the machine is ever
		// probed.
		ts = append(ts, types.TargetDescription{Id: aws.String("127.0.0.1"), Port: aws.Int32(int32(20000 + j))})
	}
	// One call registers them all (in batches inside), and one
	// deregisters a hundred and fifty of them again.
	apitest.Must(c.RegisterTargets(ctx, &elb.RegisterTargetsInput{TargetGroupArn: aws.String(tg), Targets: ts}))(t)
	if got := len(apitest.Must(c.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)}))(t).TargetHealthDescriptions); got != n {
		t.Fatalf("%d targets registered, want %d", got, n)
	}
	apitest.Must(c.DeregisterTargets(ctx, &elb.DeregisterTargetsInput{TargetGroupArn: aws.String(tg), Targets: ts[:150]}))(t)
	if got := len(apitest.Must(c.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(tg)}))(t).TargetHealthDescriptions); got != n-150 {
		t.Fatalf("%d targets left after deregistering 150, want %d", got, n-150)
	}
	apitest.Must(c.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: aws.String(tg)}))(t)
	_, err := c.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{tg}})
	apitest.WantCode(t, err, "TargetGroupNotFound")
	again := newTG()
	if got := apitest.Must(c.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(again)}))(t).TargetHealthDescriptions; len(got) != 0 {
		t.Fatalf("a target group created again has %d targets", len(got))
	}
}

// TestDeleteLoadBalancerManyRules deletes a load balancer whose two
// listeners have 140 rules between them, more than one store transaction
// may delete: rules, listeners and the load balancer go in batches, and
// deletion protection still refuses first.
func TestDeleteLoadBalancerManyRules(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := client(w, "us-east-1"), context.Background()
	lb := aws.ToString(apitest.Must(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("web")}))(t).LoadBalancers[0].LoadBalancerArn)
	tg := aws.ToString(apitest.Must(c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("tg"), Protocol: types.ProtocolEnumHttp,
		Port: aws.Int32(80), TargetType: types.TargetTypeEnumIp}))(t).TargetGroups[0].TargetGroupArn)
	var listeners []string
	for range 2 {
		l := aws.ToString(apitest.Must(c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(lb), Protocol: types.ProtocolEnumHttp,
			Port: aws.Int32(apitest.FreePort(t)), DefaultActions: forward(tg)}))(t).Listeners[0].ListenerArn)
		listeners = append(listeners, l)
		for i := range 70 {
			apitest.Must(c.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: aws.String(l), Priority: aws.Int32(int32(i + 1)),
				Conditions: pathRule(fmt.Sprintf("/r%d", i)), Actions: forward(tg)}))(t)
		}
	}
	apitest.Must(c.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(lb),
		Attributes: []types.LoadBalancerAttribute{{Key: aws.String("deletion_protection.enabled"), Value: aws.String("true")}}}))(t)
	_, err := c.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(lb)})
	apitest.WantCode(t, err, "OperationNotPermitted")
	for _, l := range listeners {
		if got := len(apitest.Must(c.DescribeRules(ctx, &elb.DescribeRulesInput{ListenerArn: aws.String(l)}))(t).Rules); got != 71 {
			t.Fatalf("a refused delete left %d rules, want 71", got)
		}
	}
	apitest.Must(c.ModifyLoadBalancerAttributes(ctx, &elb.ModifyLoadBalancerAttributesInput{LoadBalancerArn: aws.String(lb),
		Attributes: []types.LoadBalancerAttribute{{Key: aws.String("deletion_protection.enabled"), Value: aws.String("false")}}}))(t)
	apitest.Must(c.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(lb)}))(t)
	_, err = c.DescribeLoadBalancers(ctx, &elb.DescribeLoadBalancersInput{LoadBalancerArns: []string{lb}})
	apitest.WantCode(t, err, "LoadBalancerNotFound")
	for _, l := range listeners {
		_, err := c.DescribeRules(ctx, &elb.DescribeRulesInput{ListenerArn: aws.String(l)})
		apitest.WantCode(t, err, "ListenerNotFound")
	}
	// The target group is no longer in use, so it can go.
	apitest.Must(c.DeleteTargetGroup(ctx, &elb.DeleteTargetGroupInput{TargetGroupArn: aws.String(tg)}))(t)
}
