package ecs

import (
	"context"
	"strings"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/dataplane/sdstate"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/state"
	"github.com/wharfhq/wharf/store"
)

// ListServicesByNamespace lists the services, in every cluster of the
// region, associated with a Cloud Map namespace (by name or ARN): through
// their service registries, or Service Connect.
func (a *API) ListServicesByNamespace(ctx context.Context, in *ecstypes.ListServicesByNamespaceRequest) (*ecstypes.ListServicesByNamespaceResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	size, err := pageSize(in.MaxResults, 10, 100)
	if err != nil {
		return nil, err
	}
	after, err := decodeToken("services-by-namespace", in.NextToken)
	if err != nil {
		return nil, err
	}
	ns := *in.Namespace
	if a, ok := model.ParseARN(ns); ok {
		ns = strings.TrimPrefix(a.Resource, "namespace/")
	}
	var arns []string
	err = a.DB.View(ctx, func(tx store.ReadTx) error {
		recs, err := store.List[model.ServiceRecord](tx, state.Root(sc)+"services/")
		if err != nil {
			return err
		}
		for _, r := range recs {
			svc := r.Service
			if derefStr(svc.Status) == model.ServiceInactive {
				continue
			}
			in, err := inNamespace(tx, sc, svc, ns)
			if err != nil {
				return err
			}
			if in {
				arns = append(arns, derefStr(svc.ServiceArn))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	items, next := page(arns, func(s string) string { return s }, after, size)
	out := &ecstypes.ListServicesByNamespaceResponse{ServiceArns: awsapi.OrEmpty(items)}
	if next != "" {
		out.NextToken = new(awsapi.PageToken("services-by-namespace", next))
	}
	return out, nil
}

// inNamespace: the namespace (a name or an "ns-" id) holds one of the
// service's registries, or is its Service Connect namespace.
func inNamespace(tx store.ReadTx, sc model.Scope, svc ecstypes.Service, ns string) (bool, error) {
	for _, reg := range svc.ServiceRegistries {
		rsc, id, ok := sdstate.ParseServiceRef(sc, derefStr(reg.RegistryArn))
		if !ok {
			continue
		}
		s, err := sdstate.GetService(tx, rsc, id)
		if err != nil {
			continue // the Cloud Map service is gone
		}
		if s.NamespaceName == ns || derefStr(s.Svc.NamespaceId) == ns {
			return true, nil
		}
	}
	return false, nil
}
