package elbv2_test

import (
	"context"
	"fmt"
	"net"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
)

var (
	listenerARNRE = regexp.MustCompile(`^arn:aws:elasticloadbalancing:us-east-1:000000000000:listener/app/web/[0-9a-f]{16}/[0-9a-f]{16}$`)
	ruleARNRE     = regexp.MustCompile(`^arn:aws:elasticloadbalancing:us-east-1:000000000000:listener-rule/app/web/[0-9a-f]{16}/[0-9a-f]{16}/[0-9a-f]{16}$`)
)

func forward(arn string) []types.Action {
	return []types.Action{{Type: types.ActionTypeEnumForward, TargetGroupArn: aws.String(arn)}}
}

func pathRule(values ...string) []types.RuleCondition {
	return []types.RuleCondition{{Field: aws.String("path-pattern"), Values: values}}
}

func TestListenersAndRules(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := client(w, "us-east-1"), context.Background()
	lb := apitest.Must(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("web")}))(t).LoadBalancers[0]
	lbARN := aws.ToString(lb.LoadBalancerArn)
	newTG := func(name string) string {
		return aws.ToString(apitest.Must(c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String(name), Protocol: types.ProtocolEnumHttp,
			Port: aws.Int32(80), TargetType: types.TargetTypeEnumIp}))(t).TargetGroups[0].TargetGroupArn)
	}
	tgA, tgB, tgC := newTG("a"), newTG("b"), newTG("c")
	port := apitest.FreePort(t)

	l := apitest.Must(c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(lbARN), Protocol: types.ProtocolEnumHttp,
		Port: aws.Int32(port), DefaultActions: forward(tgA), Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("v")}}}))(t).Listeners[0]
	lARN := aws.ToString(l.ListenerArn)
	if !listenerARNRE.MatchString(lARN) || aws.ToString(l.LoadBalancerArn) != lbARN || aws.ToInt32(l.Port) != port || l.Protocol != types.ProtocolEnumHttp {
		t.Fatalf("listener %+v", l)
	}
	da := l.DefaultActions[0]
	if da.Type != types.ActionTypeEnumForward || aws.ToString(da.TargetGroupArn) != tgA || aws.ToInt32(da.Order) != 1 ||
		len(da.ForwardConfig.TargetGroups) != 1 || aws.ToInt32(da.ForwardConfig.TargetGroups[0].Weight) != 1 {
		t.Fatalf("default action %+v", da)
	}
	if conn, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err != nil {
		t.Fatalf("the listener's port is not bound: %v", err)
	} else {
		conn.Close()
	}

	t.Run("create errors", func(t *testing.T) {
		create := func(port int32, proto types.ProtocolEnum, actions []types.Action, lb string) error {
			_, err := c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(lb), Protocol: proto, Port: aws.Int32(port), DefaultActions: actions})
			return err
		}
		again := apitest.Must(c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(lbARN), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(port), DefaultActions: forward(tgA)}))(t)
		if aws.ToString(again.Listeners[0].ListenerArn) != lARN {
			t.Fatal("an identical CreateListener made a second listener")
		}
		apitest.WantCode(t, create(port, types.ProtocolEnumHttp, forward(tgB), lbARN), "DuplicateListener")
		apitest.WantCode(t, create(apitest.FreePort(t), types.ProtocolEnumHttps, forward(tgB), lbARN), "UnsupportedProtocol")
		apitest.WantCode(t, create(apitest.FreePort(t), types.ProtocolEnumHttp, forward(missingARN(tgB)), lbARN), "TargetGroupNotFound")
		apitest.WantCode(t, create(apitest.FreePort(t), types.ProtocolEnumHttp, forward(tgB), strings.Replace(lbARN, "/web/", "/nope/", 1)), "LoadBalancerNotFound")
		apitest.WantCode(t, create(0, types.ProtocolEnumHttp, forward(tgB), lbARN), "ValidationError")
		apitest.WantCode(t, create(apitest.FreePort(t), types.ProtocolEnumHttp, []types.Action{}, lbARN), "ValidationError")
		apitest.WantCode(t, create(apitest.FreePort(t), types.ProtocolEnumHttp, []types.Action{{Type: types.ActionTypeEnumAuthenticateOidc}, forward(tgB)[0]}, lbARN), "InvalidLoadBalancerAction")
		apitest.WantCode(t, create(apitest.FreePort(t), types.ProtocolEnumHttp, []types.Action{{Type: types.ActionTypeEnumFixedResponse,
			FixedResponseConfig: &types.FixedResponseActionConfig{StatusCode: aws.String("302")}}}, lbARN), "ValidationError")
		// A target group serves one load balancer.
		other := apitest.Must(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("other")}))(t).LoadBalancers[0]
		apitest.WantCode(t, create(apitest.FreePort(t), types.ProtocolEnumHttp, forward(tgA), aws.ToString(other.LoadBalancerArn)), "TargetGroupAssociationLimit")
		// A port another program holds.
		busy, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer busy.Close()
		err = create(int32(busy.Addr().(*net.TCPAddr).Port), types.ProtocolEnumHttp, forward(tgB), lbARN)
		apitest.WantCode(t, err, "InvalidConfigurationRequest")
		if !strings.Contains(err.Error(), "address already in use") {
			t.Fatalf("message: %v", err)
		}
		ls := apitest.Must(c.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN)}))(t)
		if len(ls.Listeners) != 1 {
			t.Fatalf("failed calls stored listeners: %d", len(ls.Listeners))
		}
	})

	t.Run("weighted forward", func(t *testing.T) {
		wl := apitest.Must(c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(lbARN), Protocol: types.ProtocolEnumHttp,
			Port: aws.Int32(apitest.FreePort(t)), DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, ForwardConfig: &types.ForwardActionConfig{
				TargetGroups: []types.TargetGroupTuple{{TargetGroupArn: aws.String(tgB), Weight: aws.Int32(80)}, {TargetGroupArn: aws.String(tgC), Weight: aws.Int32(20)}}}}}}))(t).Listeners[0]
		fc := wl.DefaultActions[0].ForwardConfig
		if wl.DefaultActions[0].TargetGroupArn != nil || len(fc.TargetGroups) != 2 || aws.ToInt32(fc.TargetGroups[1].Weight) != 20 || aws.ToBool(fc.TargetGroupStickinessConfig.Enabled) {
			t.Fatalf("weighted %+v", wl.DefaultActions[0])
		}
		_, err := c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(lbARN), Protocol: types.ProtocolEnumHttp,
			Port: aws.Int32(apitest.FreePort(t)), DefaultActions: []types.Action{{Type: types.ActionTypeEnumForward, ForwardConfig: &types.ForwardActionConfig{
				TargetGroups: []types.TargetGroupTuple{{TargetGroupArn: aws.String(tgB), Weight: aws.Int32(1000)}}}}}})
		apitest.WantCode(t, err, "ValidationError")
		apitest.Must(c.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: wl.ListenerArn}))(t)
	})

	t.Run("describe", func(t *testing.T) {
		byLB := apitest.Must(c.DescribeListeners(ctx, &elb.DescribeListenersInput{LoadBalancerArn: aws.String(lbARN)}))(t)
		byARN := apitest.Must(c.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{lARN}}))(t)
		if len(byLB.Listeners) != 1 || aws.ToString(byARN.Listeners[0].ListenerArn) != lARN {
			t.Fatal("describe listeners")
		}
		_, err := c.DescribeListeners(ctx, &elb.DescribeListenersInput{})
		apitest.WantCode(t, err, "ValidationError")
		_, err = c.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{missingARN(lARN)}})
		apitest.WantCode(t, err, "ListenerNotFound")
	})

	var r10, r20 string
	t.Run("rules", func(t *testing.T) {
		rule := apitest.Must(c.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: aws.String(lARN), Priority: aws.Int32(10),
			Conditions: pathRule("/api/*"), Actions: forward(tgB)}))(t).Rules[0]
		r10 = aws.ToString(rule.RuleArn)
		if !ruleARNRE.MatchString(r10) || aws.ToString(rule.Priority) != "10" || aws.ToBool(rule.IsDefault) ||
			aws.ToString(rule.Conditions[0].Field) != "path-pattern" || rule.Conditions[0].PathPatternConfig.Values[0] != "/api/*" {
			t.Fatalf("rule %+v", rule)
		}
		r20 = aws.ToString(apitest.Must(c.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: aws.String(lARN), Priority: aws.Int32(20),
			Conditions: []types.RuleCondition{{Field: aws.String("host-header"), HostHeaderConfig: &types.HostHeaderConditionConfig{Values: []string{"*.example.com"}}},
				{Field: aws.String("http-request-method"), HttpRequestMethodConfig: &types.HttpRequestMethodConditionConfig{Values: []string{"GET"}}}},
			Actions: forward(tgC)}))(t).Rules[0].RuleArn)

		_, err := c.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: aws.String(lARN), Priority: aws.Int32(10), Conditions: pathRule("/x"), Actions: forward(tgB)})
		apitest.WantCode(t, err, "PriorityInUse")
		_, err = c.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: aws.String(lARN), Priority: aws.Int32(30),
			Conditions: []types.RuleCondition{{Field: aws.String("cookie"), Values: []string{"x"}}}, Actions: forward(tgB)})
		apitest.WantCode(t, err, "ValidationError")
		_, err = c.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: aws.String(lARN), Priority: aws.Int32(50001), Conditions: pathRule("/x"), Actions: forward(tgB)})
		apitest.WantCode(t, err, "ValidationError")
		_, err = c.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: aws.String(missingARN(lARN)), Priority: aws.Int32(30), Conditions: pathRule("/x"), Actions: forward(tgB)})
		apitest.WantCode(t, err, "ListenerNotFound")

		rules := apitest.Must(c.DescribeRules(ctx, &elb.DescribeRulesInput{ListenerArn: aws.String(lARN)}))(t).Rules
		var prios []string
		for _, r := range rules {
			prios = append(prios, aws.ToString(r.Priority))
		}
		last := rules[len(rules)-1]
		if strings.Join(prios, ",") != "10,20,default" || !aws.ToBool(last.IsDefault) || len(last.Conditions) != 0 ||
			aws.ToString(last.Actions[0].TargetGroupArn) != tgA || !ruleARNRE.MatchString(aws.ToString(last.RuleArn)) {
			t.Fatalf("rules %v, default %+v", prios, last)
		}
		pages := elb.NewDescribeRulesPaginator(c, &elb.DescribeRulesInput{ListenerArn: aws.String(lARN), PageSize: aws.Int32(2)})
		n := 0
		for pages.HasMorePages() {
			n += len(apitest.Must(pages.NextPage(ctx))(t).Rules)
		}
		if n != 3 {
			t.Fatalf("paged %d rules", n)
		}

		mod := apitest.Must(c.ModifyRule(ctx, &elb.ModifyRuleInput{RuleArn: aws.String(r10), Conditions: pathRule("/v2/*", "/api/*")}))(t).Rules[0]
		if len(mod.Conditions[0].Values) != 2 || aws.ToString(mod.Actions[0].TargetGroupArn) != tgB {
			t.Fatalf("modified %+v", mod)
		}
		_, err = c.ModifyRule(ctx, &elb.ModifyRuleInput{RuleArn: last.RuleArn, Actions: forward(tgB)})
		apitest.WantCode(t, err, "OperationNotPermitted")

		swapped := apitest.Must(c.SetRulePriorities(ctx, &elb.SetRulePrioritiesInput{RulePriorities: []types.RulePriorityPair{
			{RuleArn: aws.String(r10), Priority: aws.Int32(20)}, {RuleArn: aws.String(r20), Priority: aws.Int32(10)}}}))(t)
		if len(swapped.Rules) != 2 || aws.ToString(swapped.Rules[0].Priority) != "20" {
			t.Fatalf("swapped %+v", swapped.Rules)
		}
		_, err = c.SetRulePriorities(ctx, &elb.SetRulePrioritiesInput{RulePriorities: []types.RulePriorityPair{{RuleArn: aws.String(r10), Priority: aws.Int32(10)}}})
		apitest.WantCode(t, err, "PriorityInUse")

		byARN := apitest.Must(c.DescribeRules(ctx, &elb.DescribeRulesInput{RuleArns: []string{r20, aws.ToString(last.RuleArn)}}))(t).Rules
		if len(byARN) != 2 || aws.ToString(byARN[0].Priority) != "10" || !aws.ToBool(byARN[1].IsDefault) {
			t.Fatalf("by ARN %+v", byARN)
		}
		_, err = c.DeleteRule(ctx, &elb.DeleteRuleInput{RuleArn: last.RuleArn})
		apitest.WantCode(t, err, "OperationNotPermitted")
		apitest.Must(c.DeleteRule(ctx, &elb.DeleteRuleInput{RuleArn: aws.String(r20)}))(t)
		_, err = c.DeleteRule(ctx, &elb.DeleteRuleInput{RuleArn: aws.String(r20)})
		apitest.WantCode(t, err, "RuleNotFound")
		_, err = c.DescribeRules(ctx, &elb.DescribeRulesInput{})
		apitest.WantCode(t, err, "ValidationError")
	})

	t.Run("modify listener", func(t *testing.T) {
		mod := apitest.Must(c.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: aws.String(lARN), DefaultActions: []types.Action{{Type: types.ActionTypeEnumFixedResponse,
			FixedResponseConfig: &types.FixedResponseActionConfig{StatusCode: aws.String("404"), ContentType: aws.String("text/plain"), MessageBody: aws.String("nothing here")}}}}))(t).Listeners[0]
		if mod.DefaultActions[0].Type != types.ActionTypeEnumFixedResponse || aws.ToInt32(mod.Port) != port {
			t.Fatalf("modified %+v", mod)
		}
		_, err := c.ModifyListener(ctx, &elb.ModifyListenerInput{ListenerArn: aws.String(missingARN(lARN)), Port: aws.Int32(81)})
		apitest.WantCode(t, err, "ListenerNotFound")
	})

	t.Run("delete", func(t *testing.T) {
		apitest.Must(c.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: aws.String(lARN)}))(t)
		_, err := c.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{lARN}})
		apitest.WantCode(t, err, "ListenerNotFound")
		_, err = c.DescribeRules(ctx, &elb.DescribeRulesInput{RuleArns: []string{r10}})
		apitest.WantCode(t, err, "RuleNotFound")
		_, err = c.DeleteListener(ctx, &elb.DeleteListenerInput{ListenerArn: aws.String(lARN)})
		apitest.WantCode(t, err, "ListenerNotFound")
		// Deleting the load balancer deletes its listeners.
		l2 := apitest.Must(c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(lbARN), Protocol: types.ProtocolEnumHttp, Port: aws.Int32(apitest.FreePort(t)), DefaultActions: forward(tgA)}))(t)
		apitest.Must(c.DeleteLoadBalancer(ctx, &elb.DeleteLoadBalancerInput{LoadBalancerArn: aws.String(lbARN)}))(t)
		_, err = c.DescribeListeners(ctx, &elb.DescribeListenersInput{ListenerArns: []string{aws.ToString(l2.Listeners[0].ListenerArn)}})
		apitest.WantCode(t, err, "ListenerNotFound")
	})
}

func TestTags(t *testing.T) {
	w := wharftest.Start(t)
	c, ctx := client(w, "us-east-1"), context.Background()
	lb := aws.ToString(apitest.Must(c.CreateLoadBalancer(ctx, &elb.CreateLoadBalancerInput{Name: aws.String("web"),
		Tags: []types.Tag{{Key: aws.String("a"), Value: aws.String("1")}}}))(t).LoadBalancers[0].LoadBalancerArn)
	tg := aws.ToString(apitest.Must(c.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{Name: aws.String("tg"), Protocol: types.ProtocolEnumHttp,
		Port: aws.Int32(80), TargetType: types.TargetTypeEnumIp}))(t).TargetGroups[0].TargetGroupArn)
	l := aws.ToString(apitest.Must(c.CreateListener(ctx, &elb.CreateListenerInput{LoadBalancerArn: aws.String(lb), Protocol: types.ProtocolEnumHttp,
		Port: aws.Int32(apitest.FreePort(t)), DefaultActions: forward(tg)}))(t).Listeners[0].ListenerArn)
	r := aws.ToString(apitest.Must(c.CreateRule(ctx, &elb.CreateRuleInput{ListenerArn: aws.String(l), Priority: aws.Int32(1),
		Conditions: pathRule("/x"), Actions: forward(tg)}))(t).Rules[0].RuleArn)
	def := aws.ToString(apitest.Must(c.DescribeRules(ctx, &elb.DescribeRulesInput{ListenerArn: aws.String(l)}))(t).Rules[1].RuleArn)
	all := []string{lb, tg, l, r, def}

	apitest.Must(c.AddTags(ctx, &elb.AddTagsInput{ResourceArns: all, Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("test")}, {Key: aws.String("a"), Value: aws.String("2")}}}))(t)
	desc := apitest.Must(c.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: all}))(t).TagDescriptions
	if len(desc) != 5 {
		t.Fatalf("%d descriptions", len(desc))
	}
	for i, d := range desc {
		tags := map[string]string{}
		for _, tag := range d.Tags {
			tags[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
		}
		if aws.ToString(d.ResourceArn) != all[i] || tags["env"] != "test" || tags["a"] != "2" || len(tags) != 2 {
			t.Fatalf("%s: %v", all[i], tags)
		}
	}
	apitest.Must(c.RemoveTags(ctx, &elb.RemoveTagsInput{ResourceArns: []string{lb}, TagKeys: []string{"a", "absent"}}))(t)
	if d := apitest.Must(c.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{lb}}))(t).TagDescriptions[0]; len(d.Tags) != 1 || aws.ToString(d.Tags[0].Key) != "env" {
		t.Fatalf("after remove: %+v", d.Tags)
	}
	_, err := c.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{lb}, Tags: []types.Tag{{Key: aws.String("k"), Value: aws.String("1")}, {Key: aws.String("k"), Value: aws.String("2")}}})
	apitest.WantCode(t, err, "DuplicateTagKeys")
	var many []types.Tag
	for i := range 50 {
		many = append(many, types.Tag{Key: aws.String(fmt.Sprintf("k%d", i)), Value: aws.String("v")})
	}
	_, err = c.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{lb}, Tags: many})
	apitest.WantCode(t, err, "TooManyTags")
	_, err = c.AddTags(ctx, &elb.AddTagsInput{ResourceArns: []string{lb}, Tags: []types.Tag{{Key: aws.String("aws:reserved"), Value: aws.String("1")}}})
	apitest.WantCode(t, err, "ValidationError")
	_, err = c.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{strings.Replace(tg, "/tg/", "/nope/", 1)}})
	apitest.WantCode(t, err, "TargetGroupNotFound")
	_, err = c.DescribeTags(ctx, &elb.DescribeTagsInput{ResourceArns: []string{"arn:aws:s3:::bucket"}})
	apitest.WantCode(t, err, "ValidationError")
}
