package elbv2

import (
	"context"
	"log/slog"

	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/dataplane/lbstate"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// Ports reserves listener ports before a listener is stored, so that a port
// that cannot be bound fails the call with nothing written. The data plane
// implements it.
type Ports interface {
	// Reserve binds addr:port for listenerARN and holds the socket until the
	// data plane adopts it (once the listener's record is committed) or
	// release is called (the caller's transaction failed).
	Reserve(ctx context.Context, listenerARN, addr string, port int) (release func(), err error)
}

// Config is what the API needs besides the store.
type Config struct {
	// Addr is the host address new load balancers' listeners bind on
	// (127.0.0.1 when empty).
	Addr  string
	Ports Ports
	Log   *slog.Logger
}

// API implements the ELBv2 operations.
type API struct {
	awsapi.Base
	addr  string
	ports Ports
}

// New returns the ELBv2 API over db.
func New(db store.Backend, cfg Config) *API {
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1"
	}
	return &API{Base: awsapi.NewBase(db, cfg.Log), addr: cfg.Addr, ports: cfg.Ports}
}

// Service describes the API for mounting on awsapi.Server.
func (a *API) Service() *awsapi.QueryService {
	return &awsapi.QueryService{
		SigningName:    elbv2types.SigningName,
		Version:        elbv2types.APIVersion,
		XMLNamespace:   elbv2types.XMLNamespace,
		Errors:         elbv2types.Errors,
		ValidationCode: awsapi.CodeValidationError,
		Known:          awsapi.KnownOperations(elbv2types.Operations),
		Ops: map[string]awsapi.QueryHandler{
			"CreateLoadBalancer":             awsapi.Query(a.CreateLoadBalancer),
			"DescribeLoadBalancers":          awsapi.Query(a.DescribeLoadBalancers),
			"DeleteLoadBalancer":             awsapi.Query(a.DeleteLoadBalancer),
			"DescribeLoadBalancerAttributes": awsapi.Query(a.DescribeLoadBalancerAttributes),
			"ModifyLoadBalancerAttributes":   awsapi.Query(a.ModifyLoadBalancerAttributes),
			"CreateTargetGroup":              awsapi.Query(a.CreateTargetGroup),
			"DescribeTargetGroups":           awsapi.Query(a.DescribeTargetGroups),
			"ModifyTargetGroup":              awsapi.Query(a.ModifyTargetGroup),
			"DeleteTargetGroup":              awsapi.Query(a.DeleteTargetGroup),
			"DescribeTargetGroupAttributes":  awsapi.Query(a.DescribeTargetGroupAttributes),
			"ModifyTargetGroupAttributes":    awsapi.Query(a.ModifyTargetGroupAttributes),
			"RegisterTargets":                awsapi.Query(a.RegisterTargets),
			"DeregisterTargets":              awsapi.Query(a.DeregisterTargets),
			"DescribeTargetHealth":           awsapi.Query(a.DescribeTargetHealth),
			"CreateListener":                 awsapi.Query(a.CreateListener),
			"DescribeListeners":              awsapi.Query(a.DescribeListeners),
			"ModifyListener":                 awsapi.Query(a.ModifyListener),
			"DeleteListener":                 awsapi.Query(a.DeleteListener),
			"CreateRule":                     awsapi.Query(a.CreateRule),
			"DescribeRules":                  awsapi.Query(a.DescribeRules),
			"ModifyRule":                     awsapi.Query(a.ModifyRule),
			"DeleteRule":                     awsapi.Query(a.DeleteRule),
			"SetRulePriorities":              awsapi.Query(a.SetRulePriorities),
			"AddTags":                        awsapi.Query(a.AddTags),
			"RemoveTags":                     awsapi.Query(a.RemoveTags),
			"DescribeTags":                   awsapi.Query(a.DescribeTags),
		},
	}
}

// ELBv2 error codes on the wire (elbv2types.ErrorCodes).
const (
	codeDuplicateLB        = elbv2types.ErrDuplicateLoadBalancerNameException
	codeDuplicateTG        = elbv2types.ErrDuplicateTargetGroupNameException
	codeDuplicateListener  = elbv2types.ErrDuplicateListenerException
	codeDuplicateTagKeys   = elbv2types.ErrDuplicateTagKeysException
	codeLBNotFound         = elbv2types.ErrLoadBalancerNotFoundException
	codeTGNotFound         = elbv2types.ErrTargetGroupNotFoundException
	codeListenerNotFound   = elbv2types.ErrListenerNotFoundException
	codeRuleNotFound       = elbv2types.ErrRuleNotFoundException
	codePriorityInUse      = elbv2types.ErrPriorityInUseException
	codeInvalidTarget      = elbv2types.ErrInvalidTargetException
	codeResourceInUse      = elbv2types.ErrResourceInUseException
	codeInvalidConfig      = elbv2types.ErrInvalidConfigurationRequestException
	codeInvalidAction      = elbv2types.ErrInvalidLoadBalancerActionException
	codeOperationNotPermit = elbv2types.ErrOperationNotPermittedException
	codeUnsupportedProto   = elbv2types.ErrUnsupportedProtocolException
	codeIncompatibleProtos = elbv2types.ErrIncompatibleProtocolsException
	codeTGAssociationLimit = elbv2types.ErrTargetGroupAssociationLimitException
	codeTooManyTags        = elbv2types.ErrTooManyTagsException
	codeTooManyTargets     = elbv2types.ErrTooManyTargetsException
	codeTooManyRules       = elbv2types.ErrTooManyRulesException
	codeTooManyActions     = elbv2types.ErrTooManyActionsException
)

func validation(format string, args ...any) error {
	return awsapi.Errorf(awsapi.CodeValidationError, format, args...)
}

func apiError(code, format string, args ...any) error { return awsapi.Errorf(code, format, args...) }

func lbNotFound(ref string) error {
	return apiError(codeLBNotFound, "One or more load balancers not found: %s", ref)
}

func tgNotFound(ref string) error {
	return apiError(codeTGNotFound, "One or more target groups not found: %s", ref)
}

func listenerNotFound(ref string) error {
	return apiError(codeListenerNotFound, "One or more listeners not found: %s", ref)
}

func ruleNotFound(ref string) error {
	return apiError(codeRuleNotFound, "One or more rules not found: %s", ref)
}

// parseRef parses an ARN of kind in the caller's scope; notFound builds the
// error for an ARN that is well formed but names nothing here.
func parseRef(sc model.Scope, arn, kind, param string, notFound func(string) error) (lbstate.Ref, error) {
	r, ok := lbstate.ParseARN(arn)
	if !ok || r.Kind != kind {
		return r, validation("%s %q is not a valid %s ARN.", param, arn, kind)
	}
	if r.Scope != sc {
		return r, notFound(arn)
	}
	return r, nil
}

// getLB reads a load balancer by ARN.
func getLB(tx store.ReadTx, sc model.Scope, arn string) (lbstate.LoadBalancer, error) {
	r, err := parseRef(sc, arn, "loadbalancer", "LoadBalancerArn", lbNotFound)
	if err != nil {
		return lbstate.LoadBalancer{}, err
	}
	lb, ok, err := store.Get[lbstate.LoadBalancer](tx, lbstate.LBKey(sc, r.Name))
	if err != nil {
		return lb, err
	}
	if !ok || lb.ID != r.ID {
		return lb, lbNotFound(arn)
	}
	return lb, nil
}

// getTG reads a target group by ARN.
func getTG(tx store.ReadTx, sc model.Scope, arn string) (lbstate.TargetGroup, error) {
	r, err := parseRef(sc, arn, "targetgroup", "TargetGroupArn", tgNotFound)
	if err != nil {
		return lbstate.TargetGroup{}, err
	}
	tg, ok, err := store.Get[lbstate.TargetGroup](tx, lbstate.TGKey(sc, r.Name))
	if err != nil {
		return tg, err
	}
	if !ok || tg.ID != r.ID {
		return tg, tgNotFound(arn)
	}
	return tg, nil
}

// getListener reads a listener by ARN.
func getListener(tx store.ReadTx, sc model.Scope, arn string) (lbstate.Listener, error) {
	r, err := parseRef(sc, arn, "listener", "ListenerArn", listenerNotFound)
	if err != nil {
		return lbstate.Listener{}, err
	}
	return awsapi.Find[lbstate.Listener](tx, lbstate.ListenerKey(sc, r.LBID, r.ID), func() error {
		return listenerNotFound(arn)
	})
}
