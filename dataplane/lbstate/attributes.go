package lbstate

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"time"
)

// Attribute keys wharf acts on.
const (
	AttrDeregistrationDelay = "deregistration_delay.timeout_seconds"
	AttrAlgorithm           = "load_balancing.algorithm.type"
	AttrIdleTimeout         = "idle_timeout.timeout_seconds"
	AttrDeletionProtection  = "deletion_protection.enabled"
)

// Load balancing algorithms (load_balancing.algorithm.type).
const (
	AlgorithmRoundRobin       = "round_robin"
	AlgorithmLeastOutstanding = "least_outstanding_requests"
	AlgorithmWeightedRandom   = "weighted_random"
)

// attrRule checks one attribute's value; nil accepts anything.
type attrRule func(v string) error

func intRange(lo, hi int) attrRule {
	return func(v string) error {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return fmt.Errorf("must be an integer from %d to %d", lo, hi)
		}
		return nil
	}
}

func oneOf(vals ...string) attrRule {
	return func(v string) error {
		if !slices.Contains(vals, v) {
			return fmt.Errorf("must be one of %v", vals)
		}
		return nil
	}
}

var boolean = oneOf("true", "false")

// attrSpec is an attribute's default and rule.
type attrSpec struct {
	def  string
	rule attrRule
}

// The target group attributes of an application load balancer's target
// groups, with AWS's defaults. Only deregistration_delay and the algorithm
// change what wharf does; the others are kept and described back.
var tgAttrs = map[string]attrSpec{
	AttrDeregistrationDelay: {"300", intRange(0, 3600)},
	AttrAlgorithm:           {AlgorithmRoundRobin, oneOf(AlgorithmRoundRobin, AlgorithmLeastOutstanding, AlgorithmWeightedRandom)},
	"load_balancing.algorithm.anomaly_mitigation":                                    {"off", oneOf("on", "off")},
	"load_balancing.cross_zone.enabled":                                              {"use_load_balancer_configuration", oneOf("true", "false", "use_load_balancer_configuration")},
	"slow_start.duration_seconds":                                                    {"0", intRange(0, 900)},
	"stickiness.enabled":                                                             {"false", boolean},
	"stickiness.type":                                                                {"lb_cookie", oneOf("lb_cookie", "app_cookie")},
	"stickiness.lb_cookie.duration_seconds":                                          {"86400", intRange(1, 604800)},
	"stickiness.app_cookie.cookie_name":                                              {"", nil},
	"stickiness.app_cookie.duration_seconds":                                         {"86400", intRange(1, 604800)},
	"target_group_health.dns_failover.minimum_healthy_targets.count":                 {"1", nil},
	"target_group_health.dns_failover.minimum_healthy_targets.percentage":            {"off", nil},
	"target_group_health.unhealthy_state_routing.minimum_healthy_targets.count":      {"1", nil},
	"target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage": {"off", nil},
}

// The load balancer attributes of an application load balancer. Only the
// idle timeout and deletion protection change what wharf does.
var lbAttrs = map[string]attrSpec{
	AttrIdleTimeout:                                   {"60", intRange(1, 4000)},
	AttrDeletionProtection:                            {"false", boolean},
	"access_logs.s3.enabled":                          {"false", boolean},
	"access_logs.s3.bucket":                           {"", nil},
	"access_logs.s3.prefix":                           {"", nil},
	"routing.http2.enabled":                           {"true", boolean},
	"routing.http.drop_invalid_header_fields.enabled": {"false", boolean},
	"routing.http.xff_header_processing.mode":         {"append", oneOf("append", "preserve", "remove")},
	"routing.http.preserve_host_header.enabled":       {"false", boolean},
	"waf.fail_open.enabled":                           {"false", boolean},
	"client_keep_alive.seconds":                       {"3600", intRange(60, 604800)},
}

// DefaultTGAttributes returns a new target group's attributes.
func DefaultTGAttributes() map[string]string { return defaults(tgAttrs) }

// DefaultLBAttributes returns a new load balancer's attributes.
func DefaultLBAttributes() map[string]string { return defaults(lbAttrs) }

func defaults(specs map[string]attrSpec) map[string]string {
	out := make(map[string]string, len(specs))
	for k, s := range specs {
		out[k] = s.def
	}
	return out
}

// CheckTGAttribute validates one target group attribute.
func CheckTGAttribute(key, value string) error { return check(tgAttrs, "target group", key, value) }

// CheckLBAttribute validates one load balancer attribute.
func CheckLBAttribute(key, value string) error { return check(lbAttrs, "load balancer", key, value) }

func check(specs map[string]attrSpec, what, key, value string) error {
	s, ok := specs[key]
	if !ok {
		return fmt.Errorf("%q is not a known %s attribute (known: %v)", key, what, slices.Sorted(maps.Keys(specs)))
	}
	if s.rule == nil {
		return nil
	}
	if err := s.rule(value); err != nil {
		return fmt.Errorf("attribute %s %s, got %q", key, err.Error(), value)
	}
	return nil
}

// seconds reads an integer attribute as a duration, falling back to def.
func seconds(attrs map[string]string, key string, def int) time.Duration {
	n, err := strconv.Atoi(attrs[key])
	if err != nil || n < 0 {
		n = def
	}
	return time.Duration(n) * time.Second
}

// DeregistrationDelay is how long a deregistered target drains.
func (tg TargetGroup) DeregistrationDelay() time.Duration {
	return seconds(tg.Attributes, AttrDeregistrationDelay, 300)
}

// Algorithm is the group's load_balancing.algorithm.type.
func (tg TargetGroup) Algorithm() string {
	if a := tg.Attributes[AttrAlgorithm]; a != "" {
		return a
	}
	return AlgorithmRoundRobin
}

// IdleTimeout is how long the load balancer keeps an idle connection.
func (lb LoadBalancer) IdleTimeout() time.Duration {
	return seconds(lb.Attributes, AttrIdleTimeout, 60)
}
