package servicediscovery

import (
	"context"
	"slices"
	"strings"
	"time"

	sdtypes "github.com/wharfhq/wharf/api/servicediscoverytypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/dataplane/sdstate"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// defaultSOATTL is the SOA TTL of a DNS namespace created without one.
const defaultSOATTL = 15

// namespaceSpec is what the three Create*Namespace calls share.
type namespaceSpec struct {
	name, creatorRequestID, description, vpc string
	typ                                      sdtypes.NamespaceType
	soaTTL                                   *int64
	tags                                     []sdtypes.Tag
}

// checkDNSName accepts a DNS name: dot-separated labels of 1 to 63
// letters, digits, hyphens and underscores.
func checkDNSName(what, name string) error {
	n := strings.TrimSuffix(name, ".")
	if n == "" || len(n) > 253 {
		return invalid("%s %q is not a DNS name.", what, name)
	}
	for label := range strings.SplitSeq(n, ".") {
		if label == "" || len(label) > 63 || strings.HasPrefix(label, "-") || strings.HasSuffix(label, "-") {
			return invalid("%s %q is not a DNS name: labels are 1 to 63 characters and do not start or end with '-'.", what, name)
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return invalid("%s %q is not a DNS name: %q is not allowed.", what, name, c)
			}
		}
	}
	return nil
}

func (a *API) createNamespace(ctx context.Context, spec namespaceSpec) (string, error) {
	sc := awsapi.ScopeOf(ctx)
	if spec.typ != sdtypes.NamespaceTypeHttp {
		if err := checkDNSName("Namespace name", spec.name); err != nil {
			return "", err
		}
		spec.name = strings.TrimSuffix(spec.name, ".")
	}
	if err := checkTags(spec.tags); err != nil {
		return "", err
	}
	var opID string
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		all, err := store.List[sdstate.Namespace](tx, sdstate.NamespacesPrefix(sc))
		if err != nil {
			return err
		}
		for _, ns := range all {
			if !strings.EqualFold(awsapi.Deref(ns.NS.Name), spec.name) {
				continue
			}
			if spec.creatorRequestID != "" && awsapi.Deref(ns.NS.CreatorRequestId) == spec.creatorRequestID && ns.NS.Type == spec.typ {
				opID = ns.OperationID // a retry: answer the first call's operation
				return nil
			}
			return apiError(codeNamespaceExists, "A namespace named %q already exists (%s).", spec.name, awsapi.Deref(ns.NS.Id))
		}
		id := sdstate.NewID("ns-", 16)
		now := a.Now().Truncate(time.Millisecond)
		ns := sdtypes.Namespace{
			Id: new(id), Arn: new(sdstate.NamespaceARN(sc, id)), Name: new(spec.name), Type: spec.typ,
			ServiceCount: new(int32(0)), Properties: &sdtypes.NamespaceProperties{HttpProperties: &sdtypes.HttpProperties{HttpName: new(spec.name)}},
		}
		ns.CreateDate.Time = now
		if spec.description != "" {
			ns.Description = new(spec.description)
		}
		if spec.creatorRequestID != "" {
			ns.CreatorRequestId = new(spec.creatorRequestID)
		}
		if spec.typ != sdtypes.NamespaceTypeHttp {
			ttl := int64(defaultSOATTL)
			if spec.soaTTL != nil {
				ttl = *spec.soaTTL
			}
			ns.Properties.DnsProperties = &sdtypes.DnsProperties{HostedZoneId: new(sdstate.NewID("Z", 20)), SOA: &sdtypes.SOA{TTL: new(ttl)}}
			*ns.Properties.DnsProperties.HostedZoneId = strings.ToUpper(*ns.Properties.DnsProperties.HostedZoneId)
		}
		opID, err = sdstate.RecordOperation(tx, sc, sdtypes.OperationTypeCreateNamespace, map[string]string{"NAMESPACE": id}, now)
		if err != nil {
			return err
		}
		return store.Put(tx, sdstate.NamespaceKey(sc, id), sdstate.Namespace{NS: ns, Scope: sc, Vpc: spec.vpc, Tags: spec.tags, OperationID: opID})
	})
	return opID, err
}

// CreateHttpNamespace creates a namespace discovered through the API only.
func (a *API) CreateHttpNamespace(ctx context.Context, in *sdtypes.CreateHttpNamespaceRequest) (*sdtypes.CreateHttpNamespaceResponse, error) {
	id, err := a.createNamespace(ctx, namespaceSpec{name: awsapi.Deref(in.Name), creatorRequestID: awsapi.Deref(in.CreatorRequestId),
		description: awsapi.Deref(in.Description), typ: sdtypes.NamespaceTypeHttp, tags: in.Tags})
	if err != nil {
		return nil, err
	}
	return &sdtypes.CreateHttpNamespaceResponse{OperationId: new(id)}, nil
}

// CreatePrivateDnsNamespace creates a namespace wharf's DNS server answers
// for (the VPC is recorded; wharf has one network).
func (a *API) CreatePrivateDnsNamespace(ctx context.Context, in *sdtypes.CreatePrivateDnsNamespaceRequest) (*sdtypes.CreatePrivateDnsNamespaceResponse, error) {
	spec := namespaceSpec{name: awsapi.Deref(in.Name), creatorRequestID: awsapi.Deref(in.CreatorRequestId), description: awsapi.Deref(in.Description),
		vpc: awsapi.Deref(in.Vpc), typ: sdtypes.NamespaceTypeDnsPrivate, tags: in.Tags}
	if p := in.Properties; p != nil && p.DnsProperties != nil && p.DnsProperties.SOA != nil {
		spec.soaTTL = p.DnsProperties.SOA.TTL
	}
	id, err := a.createNamespace(ctx, spec)
	if err != nil {
		return nil, err
	}
	return &sdtypes.CreatePrivateDnsNamespaceResponse{OperationId: new(id)}, nil
}

// CreatePublicDnsNamespace creates a public DNS namespace; wharf answers
// for it like a private one.
func (a *API) CreatePublicDnsNamespace(ctx context.Context, in *sdtypes.CreatePublicDnsNamespaceRequest) (*sdtypes.CreatePublicDnsNamespaceResponse, error) {
	spec := namespaceSpec{name: awsapi.Deref(in.Name), creatorRequestID: awsapi.Deref(in.CreatorRequestId), description: awsapi.Deref(in.Description),
		typ: sdtypes.NamespaceTypeDnsPublic, tags: in.Tags}
	if p := in.Properties; p != nil && p.DnsProperties != nil && p.DnsProperties.SOA != nil {
		spec.soaTTL = p.DnsProperties.SOA.TTL
	}
	id, err := a.createNamespace(ctx, spec)
	if err != nil {
		return nil, err
	}
	return &sdtypes.CreatePublicDnsNamespaceResponse{OperationId: new(id)}, nil
}

// nsID accepts a namespace id or ARN.
func nsID(ref string) string {
	if a, ok := model.ParseARN(ref); ok {
		if id, ok := strings.CutPrefix(a.Resource, "namespace/"); ok {
			return id
		}
	}
	return ref
}

func getNamespace(tx store.ReadTx, sc model.Scope, ref string) (sdstate.Namespace, error) {
	id := nsID(ref)
	return awsapi.Find[sdstate.Namespace](tx, sdstate.NamespaceKey(sc, id), func() error {
		return apiError(codeNamespaceNotFound, "No namespace exists with ID %q.", ref)
	})
}

// GetNamespace describes a namespace.
func (a *API) GetNamespace(ctx context.Context, in *sdtypes.GetNamespaceRequest) (*sdtypes.GetNamespaceResponse, error) {
	ns, err := awsapi.ReadRef(ctx, a.DB, getNamespace, awsapi.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &sdtypes.GetNamespaceResponse{Namespace: &ns.NS}, nil
}

// ListNamespaces lists namespaces, filtered by TYPE, NAME or HTTP_NAME, a
// page at a time in the store's (id) order.
func (a *API) ListNamespaces(ctx context.Context, in *sdtypes.ListNamespacesRequest) (*sdtypes.ListNamespacesResponse, error) {
	keep, err := matcher(in.Filters, func(f sdtypes.NamespaceFilter) (sdtypes.FilterCondition, []string) { return f.Condition, f.Values },
		func(f sdtypes.NamespaceFilter, ns *sdstate.Namespace) string {
			switch f.Name {
			case sdtypes.NamespaceFilterNameType:
				return string(ns.NS.Type)
			case sdtypes.NamespaceFilterNameName, sdtypes.NamespaceFilterNameHttpName:
				return awsapi.Deref(ns.NS.Name)
			}
			return ""
		})
	if err != nil {
		return nil, err
	}
	pg, next, err := listPage(ctx, a, "namespaces", sdstate.NamespacesPrefix(awsapi.ScopeOf(ctx)), in.NextToken, in.MaxResults, keep)
	if err != nil {
		return nil, err
	}
	out := []sdtypes.NamespaceSummary{}
	for _, ns := range pg {
		n := ns.NS
		out = append(out, sdtypes.NamespaceSummary{Id: n.Id, Arn: n.Arn, Name: n.Name, Type: n.Type, Description: n.Description,
			ServiceCount: n.ServiceCount, Properties: n.Properties, CreateDate: n.CreateDate})
	}
	return &sdtypes.ListNamespacesResponse{Namespaces: out, NextToken: next}, nil
}

// matcher refuses, before any record is read, the filters whose condition
// does not fit their values, and returns the test a record must pass:
// every filter's condition on the value (value) it names.
func matcher[F, T any](filters []F, cond func(F) (sdtypes.FilterCondition, []string), value func(F, *T) string) (func(*T) bool, error) {
	for _, f := range filters {
		c, values := cond(f)
		if _, err := filterMatch(c, values, ""); err != nil {
			return nil, err
		}
	}
	return func(r *T) bool {
		for _, f := range filters {
			c, values := cond(f)
			if m, _ := filterMatch(c, values, value(f, r)); !m {
				return false
			}
		}
		return true
	}, nil
}

// filterMatch applies a Cloud Map filter condition (EQ by default).
func filterMatch(cond sdtypes.FilterCondition, values []string, v string) (bool, error) {
	switch cond {
	case "", sdtypes.FilterConditionEq:
		if len(values) != 1 {
			return false, invalid("An EQ filter takes exactly one value, got %d.", len(values))
		}
		return values[0] == v, nil
	case sdtypes.FilterConditionIn:
		return slices.Contains(values, v), nil
	case sdtypes.FilterConditionBeginsWith:
		if len(values) != 1 {
			return false, invalid("A BEGINS_WITH filter takes exactly one value, got %d.", len(values))
		}
		return strings.HasPrefix(v, values[0]), nil
	}
	return false, invalid("Filter condition %q is not supported here.", cond)
}

// DeleteNamespace deletes a namespace that has no services.
func (a *API) DeleteNamespace(ctx context.Context, in *sdtypes.DeleteNamespaceRequest) (*sdtypes.DeleteNamespaceResponse, error) {
	opID, err := a.recordedOp(ctx, sdtypes.OperationTypeDeleteNamespace, "NAMESPACE", func(tx store.Tx, sc model.Scope) (string, error) {
		ns, err := getNamespace(tx, sc, awsapi.Deref(in.Id))
		if err != nil {
			return "", err
		}
		if n := ns.NS.ServiceCount; n != nil && *n > 0 {
			return "", apiError(codeResourceInUse, "Namespace %s has %d services: delete them first.", awsapi.Deref(ns.NS.Id), *n)
		}
		return awsapi.Deref(ns.NS.Id), tx.Delete(sdstate.NamespaceKey(sc, awsapi.Deref(ns.NS.Id)))
	})
	if err != nil {
		return nil, err
	}
	return &sdtypes.DeleteNamespaceResponse{OperationId: opID}, nil
}

// GetOperation describes an operation; wharf's have all succeeded.
func (a *API) GetOperation(ctx context.Context, in *sdtypes.GetOperationRequest) (*sdtypes.GetOperationResponse, error) {
	var op sdstate.Operation
	err := a.DB.View(ctx, func(tx store.ReadTx) error {
		v, ok, err := store.Get[sdstate.Operation](tx, sdstate.OperationKey(awsapi.ScopeOf(ctx), awsapi.Deref(in.OperationId)))
		if err == nil && !ok {
			err = apiError(codeOperationNotFound, "No operation exists with ID %q.", awsapi.Deref(in.OperationId))
		}
		op = v
		return err
	})
	if err != nil {
		return nil, err
	}
	return &sdtypes.GetOperationResponse{Operation: &op.Op}, nil
}

// ListOperations lists operations, filtered by NAMESPACE_ID, SERVICE_ID,
// STATUS or TYPE, a page at a time in the store's (id) order.
func (a *API) ListOperations(ctx context.Context, in *sdtypes.ListOperationsRequest) (*sdtypes.ListOperationsResponse, error) {
	for _, f := range in.Filters {
		switch f.Name {
		case sdtypes.OperationFilterNameNamespaceId, sdtypes.OperationFilterNameServiceId,
			sdtypes.OperationFilterNameStatus, sdtypes.OperationFilterNameType:
		default:
			return nil, invalid("Filter %q is not supported by wharf.", f.Name)
		}
	}
	keep, err := matcher(in.Filters, func(f sdtypes.OperationFilter) (sdtypes.FilterCondition, []string) { return f.Condition, f.Values },
		func(f sdtypes.OperationFilter, op *sdstate.Operation) string {
			switch f.Name {
			case sdtypes.OperationFilterNameNamespaceId:
				return op.Op.Targets["NAMESPACE"]
			case sdtypes.OperationFilterNameServiceId:
				return op.Op.Targets["SERVICE"]
			case sdtypes.OperationFilterNameStatus:
				return string(op.Op.Status)
			}
			return string(op.Op.Type)
		})
	if err != nil {
		return nil, err
	}
	pg, next, err := listPage(ctx, a, "operations", sdstate.OperationsPrefix(awsapi.ScopeOf(ctx)), in.NextToken, in.MaxResults, keep)
	if err != nil {
		return nil, err
	}
	out := []sdtypes.OperationSummary{}
	for _, op := range pg {
		out = append(out, sdtypes.OperationSummary{Id: op.Op.Id, Status: op.Op.Status})
	}
	return &sdtypes.ListOperationsResponse{Operations: out, NextToken: next}, nil
}
