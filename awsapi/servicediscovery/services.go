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

// checkDnsRecords applies Cloud Map's rules to a service's DNS records.
func checkDnsRecords(policy sdtypes.RoutingPolicy, recs []sdtypes.DnsRecord) error {
	if len(recs) == 0 {
		return invalid("DnsConfig.DnsRecords needs at least one record.")
	}
	var seen []sdtypes.RecordType
	for _, r := range recs {
		if slices.Contains(seen, r.Type) {
			return invalid("DnsConfig.DnsRecords lists the record type %s more than once.", r.Type)
		}
		seen = append(seen, r.Type)
		if r.TTL == nil || *r.TTL < 0 || *r.TTL > 2147483647 {
			return invalid("Every DNS record needs a TTL from 0 to 2147483647 seconds.")
		}
	}
	if slices.Contains(seen, sdtypes.RecordTypeCname) {
		if len(seen) > 1 {
			return invalid("A CNAME record cannot be combined with other record types.")
		}
		if policy != sdtypes.RoutingPolicyWeighted {
			return invalid("A CNAME record needs the WEIGHTED routing policy.")
		}
	}
	return nil
}

// getService reads a service by id or ARN.
func getService(tx store.ReadTx, sc model.Scope, ref string) (sdstate.Service, error) {
	_, id, _ := sdstate.ParseServiceRef(sc, ref)
	return awsapi.Find[sdstate.Service](tx, sdstate.ServiceKey(sc, id), func() error {
		return apiError(codeServiceNotFound, "No service exists with ID %q.", ref)
	})
}

// CreateService creates a service in a namespace.
func (a *API) CreateService(ctx context.Context, in *sdtypes.CreateServiceRequest) (*sdtypes.CreateServiceResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	name := awsapi.Deref(in.Name)
	nsRef := awsapi.Deref(in.NamespaceId)
	if nsRef == "" && in.DnsConfig != nil {
		nsRef = awsapi.Deref(in.DnsConfig.NamespaceId)
	}
	if nsRef == "" {
		return nil, invalid("NamespaceId is required.")
	}
	if in.HealthCheckConfig != nil {
		return nil, invalid("wharf does not run Route 53 health checks: use HealthCheckCustomConfig and UpdateInstanceCustomHealthStatus.")
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	var out sdtypes.Service
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		ns, err := getNamespace(tx, sc, nsRef)
		if err != nil {
			return err
		}
		nsID := awsapi.Deref(ns.NS.Id)
		svc := sdtypes.Service{Name: new(name), NamespaceId: new(nsID), InstanceCount: new(int32(0)),
			HealthCheckCustomConfig: in.HealthCheckCustomConfig, Description: in.Description, CreatorRequestId: in.CreatorRequestId}
		if svc.HealthCheckCustomConfig != nil {
			svc.HealthCheckCustomConfig = &sdtypes.HealthCheckCustomConfig{FailureThreshold: new(int32(1))}
		}
		switch {
		case in.Type == sdtypes.ServiceTypeOptionHttp || ns.NS.Type == sdtypes.NamespaceTypeHttp:
			if in.DnsConfig != nil {
				return invalid("DnsConfig is not allowed for services of type HTTP (namespace %s is %s).", nsID, ns.NS.Type)
			}
			svc.Type = sdtypes.ServiceTypeHttp
		case in.DnsConfig == nil:
			return invalid("Services in the DNS namespace %s need DnsConfig (or Type HTTP).", nsID)
		default:
			if err := checkDNSName("Service name", name); err != nil {
				return err
			}
			policy := in.DnsConfig.RoutingPolicy
			if policy == "" {
				policy = sdtypes.RoutingPolicyMultivalue
			}
			if err := checkDnsRecords(policy, in.DnsConfig.DnsRecords); err != nil {
				return err
			}
			svc.DnsConfig = &sdtypes.DnsConfig{NamespaceId: new(nsID), RoutingPolicy: policy, DnsRecords: in.DnsConfig.DnsRecords}
			svc.Type = sdtypes.ServiceTypeDnsHttp
		}
		all, err := store.List[sdstate.Service](tx, sdstate.ServicesPrefix(sc))
		if err != nil {
			return err
		}
		for _, s := range all {
			if awsapi.Deref(s.Svc.NamespaceId) != nsID || !strings.EqualFold(awsapi.Deref(s.Svc.Name), name) {
				continue
			}
			if cr := awsapi.Deref(in.CreatorRequestId); cr != "" && cr == awsapi.Deref(s.Svc.CreatorRequestId) {
				out = s.Svc // a retry
				return nil
			}
			return apiError(codeServiceExists, "A service named %q already exists in namespace %s (%s).", name, nsID, awsapi.Deref(s.Svc.Id))
		}
		id := sdstate.NewID("srv-", 16)
		svc.Id, svc.Arn = new(id), new(sdstate.ServiceARN(sc, id))
		svc.CreateDate.Time = a.Now().Truncate(time.Millisecond)
		out = svc
		ns.NS.ServiceCount = new(awsapi.Deref(ns.NS.ServiceCount) + 1)
		if err := store.Put(tx, sdstate.NamespaceKey(sc, nsID), ns); err != nil {
			return err
		}
		return store.Put(tx, sdstate.ServiceKey(sc, id), sdstate.Service{Svc: svc, Scope: sc, NamespaceName: awsapi.Deref(ns.NS.Name), Tags: in.Tags})
	})
	if err != nil {
		return nil, err
	}
	return &sdtypes.CreateServiceResponse{Service: &out}, nil
}

// GetService describes a service.
func (a *API) GetService(ctx context.Context, in *sdtypes.GetServiceRequest) (*sdtypes.GetServiceResponse, error) {
	svc, err := awsapi.ReadRef(ctx, a.DB, getService, awsapi.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &sdtypes.GetServiceResponse{Service: &svc.Svc}, nil
}

// ListServices lists services, filtered by NAMESPACE_ID.
func (a *API) ListServices(ctx context.Context, in *sdtypes.ListServicesRequest) (*sdtypes.ListServicesResponse, error) {
	for _, f := range in.Filters {
		if f.Name != sdtypes.ServiceFilterNameNamespaceId {
			return nil, invalid("Filter %q is not supported by wharf.", f.Name)
		}
	}
	// The filter values name namespaces by id or ARN; compare ids.
	keep, err := matcher(in.Filters, func(f sdtypes.ServiceFilter) (sdtypes.FilterCondition, []string) {
		ids := make([]string, len(f.Values))
		for i, v := range f.Values {
			ids[i] = nsID(v)
		}
		return f.Condition, ids
	}, func(_ sdtypes.ServiceFilter, s *sdstate.Service) string { return awsapi.Deref(s.Svc.NamespaceId) })
	if err != nil {
		return nil, err
	}
	pg, next, err := listPage(ctx, a, "services", sdstate.ServicesPrefix(awsapi.ScopeOf(ctx)), in.NextToken, in.MaxResults, keep)
	if err != nil {
		return nil, err
	}
	out := []sdtypes.ServiceSummary{}
	for _, s := range pg {
		v := s.Svc
		out = append(out, sdtypes.ServiceSummary{Id: v.Id, Arn: v.Arn, Name: v.Name, Type: v.Type, Description: v.Description,
			InstanceCount: v.InstanceCount, DnsConfig: v.DnsConfig, HealthCheckCustomConfig: v.HealthCheckCustomConfig, CreateDate: v.CreateDate})
	}
	return &sdtypes.ListServicesResponse{Services: out, NextToken: next}, nil
}

// UpdateService changes a service's description and DNS records.
func (a *API) UpdateService(ctx context.Context, in *sdtypes.UpdateServiceRequest) (*sdtypes.UpdateServiceResponse, error) {
	opID, err := a.recordedOp(ctx, sdtypes.OperationTypeUpdateService, "SERVICE", func(tx store.Tx, sc model.Scope) (string, error) {
		svc, err := getService(tx, sc, awsapi.Deref(in.Id))
		if err != nil {
			return "", err
		}
		if ch := in.Service; ch != nil {
			if ch.HealthCheckConfig != nil {
				return "", invalid("wharf does not run Route 53 health checks.")
			}
			if ch.Description != nil {
				svc.Svc.Description = ch.Description
			}
			if ch.DnsConfig != nil {
				if svc.Svc.DnsConfig == nil {
					return "", invalid("Service %s has no DNS records to update.", awsapi.Deref(svc.Svc.Id))
				}
				if err := checkDnsRecords(svc.Svc.DnsConfig.RoutingPolicy, ch.DnsConfig.DnsRecords); err != nil {
					return "", err
				}
				svc.Svc.DnsConfig.DnsRecords = ch.DnsConfig.DnsRecords
			}
		}
		svc.Revision++
		return awsapi.Deref(svc.Svc.Id), store.Put(tx, sdstate.ServiceKey(sc, awsapi.Deref(svc.Svc.Id)), svc)
	})
	if err != nil {
		return nil, err
	}
	return &sdtypes.UpdateServiceResponse{OperationId: opID}, nil
}

// DeleteService deletes a service that has no instances.
func (a *API) DeleteService(ctx context.Context, in *sdtypes.DeleteServiceRequest) (*sdtypes.DeleteServiceResponse, error) {
	sc := awsapi.ScopeOf(ctx)
	_, err := a.DB.Update(ctx, func(tx store.Tx) error {
		svc, err := getService(tx, sc, awsapi.Deref(in.Id))
		if err != nil {
			return err
		}
		id := awsapi.Deref(svc.Svc.Id)
		if n := awsapi.Deref(svc.Svc.InstanceCount); n > 0 {
			return apiError(codeResourceInUse, "Service %s has %d registered instances: deregister them first.", id, n)
		}
		if ns, ok, err := store.Get[sdstate.Namespace](tx, sdstate.NamespaceKey(sc, awsapi.Deref(svc.Svc.NamespaceId))); err != nil {
			return err
		} else if ok {
			ns.NS.ServiceCount = new(max(awsapi.Deref(ns.NS.ServiceCount)-1, 0))
			if err := store.Put(tx, sdstate.NamespaceKey(sc, awsapi.Deref(ns.NS.Id)), ns); err != nil {
				return err
			}
		}
		return tx.Delete(sdstate.ServiceKey(sc, id))
	})
	if err != nil {
		return nil, err
	}
	return &sdtypes.DeleteServiceResponse{}, nil
}
