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
	c, size, err := openPage("services-by-namespace", in.NextToken, in.MaxResults, 10, 100)
	if err != nil {
		return nil, err
	}
	ns := *in.Namespace
	if a, ok := model.ParseARN(ns); ok {
		ns = strings.TrimPrefix(a.Resource, "namespace/")
	}
	var recs []model.ServiceRecord
	var next *string
	err = a.DB.View(ctx, func(tx store.ReadTx) error {
		// Services of every cluster, in key order (cluster, name: the
		// order of their ARNs); a read error stops the page.
		var readErr error
		keep := func(r *model.ServiceRecord) bool {
			if readErr != nil || derefStr(r.Service.Status) == model.ServiceInactive {
				return false
			}
			in, err := inNamespace(tx, sc, r.Service, ns)
			readErr = err
			return in && err == nil
		}
		recs, next, err = awsapi.StorePage(tx, state.Root(sc)+"services/", "", c, size, keep)
		if readErr != nil {
			return readErr
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &ecstypes.ListServicesByNamespaceResponse{ServiceArns: []string{}, NextToken: next}
	for _, r := range recs {
		out.ServiceArns = append(out.ServiceArns, derefStr(r.Service.ServiceArn))
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
