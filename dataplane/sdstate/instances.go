package sdstate

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	sdtypes "github.com/wharfhq/wharf/api/servicediscoverytypes"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// Attributes Cloud Map gives meaning to.
const (
	AttrIPv4       = "AWS_INSTANCE_IPV4"
	AttrIPv6       = "AWS_INSTANCE_IPV6"
	AttrPort       = "AWS_INSTANCE_PORT"
	AttrInitHealth = "AWS_INIT_HEALTH_STATUS"
	AttrAlias      = "AWS_ALIAS_DNS_NAME"
	AttrCNAME      = "AWS_INSTANCE_CNAME"
)

// maxAttributes is Cloud Map's limit of attributes on one instance.
const maxAttributes = 30

// GetService reads a service of scope s.
func GetService(tx store.ReadTx, s model.Scope, id string) (Service, error) {
	svc, ok, err := store.Get[Service](tx, ServiceKey(s, id))
	if err != nil {
		return svc, err
	}
	if !ok {
		return svc, fmt.Errorf("%w: no service %s", ErrServiceNotFound, id)
	}
	return svc, nil
}

// HasCustomHealth reports whether the service's instances report their
// own health (HealthCheckCustomConfig).
func (s Service) HasCustomHealth() bool { return s.Svc.HealthCheckCustomConfig != nil }

// recordTypes lists the DNS record types of the service.
func (s Service) recordTypes() []sdtypes.RecordType {
	var out []sdtypes.RecordType
	if s.Svc.DnsConfig != nil {
		for _, r := range s.Svc.DnsConfig.DnsRecords {
			out = append(out, r.Type)
		}
	}
	return out
}

// Healthy reports whether DNS and DiscoverInstances (HEALTHY) serve the
// instance: always for services without a health check.
func (s Service) Healthy(i Instance) bool {
	return !s.HasCustomHealth() || i.Health == sdtypes.HealthStatusHealthy
}

// checkAttributes applies Cloud Map's rules for an instance of svc.
func checkAttributes(svc Service, attrs map[string]string) error {
	if len(attrs) > maxAttributes {
		return Invalid("an instance can have at most %d attributes, got %d", maxAttributes, len(attrs))
	}
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		v := attrs[k]
		if k == "" || len(k) > 255 || len(v) > 1024 {
			return Invalid("attribute %q: keys are 1 to 255 characters, values at most 1024", k)
		}
		switch k {
		case AttrIPv4:
			if ip, err := netip.ParseAddr(v); err != nil || !ip.Is4() {
				return Invalid("%s must be an IPv4 address, got %q", k, v)
			}
		case AttrIPv6:
			if ip, err := netip.ParseAddr(v); err != nil || !ip.Is6() {
				return Invalid("%s must be an IPv6 address, got %q", k, v)
			}
		case AttrPort:
			if n, err := strconv.Atoi(v); err != nil || n < 0 || n > 65535 {
				return Invalid("%s must be a port from 0 to 65535, got %q", k, v)
			}
		case AttrInitHealth:
			if v != string(sdtypes.HealthStatusHealthy) && v != string(sdtypes.HealthStatusUnhealthy) {
				return Invalid("%s must be HEALTHY or UNHEALTHY, got %q", k, v)
			}
			if !svc.HasCustomHealth() {
				return Invalid("%s applies only to services with HealthCheckCustomConfig", k)
			}
		case AttrAlias:
			return Invalid("wharf does not serve %s (alias records to load balancers)", k)
		}
	}
	for _, t := range svc.recordTypes() {
		switch t {
		case sdtypes.RecordTypeA:
			if attrs[AttrIPv4] == "" {
				return Invalid("the service has an A record: the instance needs %s", AttrIPv4)
			}
		case sdtypes.RecordTypeAaaa:
			if attrs[AttrIPv6] == "" {
				return Invalid("the service has an AAAA record: the instance needs %s", AttrIPv6)
			}
		case sdtypes.RecordTypeSrv:
			if attrs[AttrPort] == "" || attrs[AttrIPv4] == "" && attrs[AttrIPv6] == "" {
				return Invalid("the service has an SRV record: the instance needs %s and %s or %s", AttrPort, AttrIPv4, AttrIPv6)
			}
		case sdtypes.RecordTypeCname:
			if attrs[AttrCNAME] == "" {
				return Invalid("the service has a CNAME record: the instance needs %s", AttrCNAME)
			}
		}
	}
	return nil
}

// RegisterInstance registers (or updates) instance id of service
// serviceID and returns the operation's id. A new instance of a service
// with a custom health check starts HEALTHY unless AWS_INIT_HEALTH_STATUS
// says otherwise; an updated one keeps its health.
func RegisterInstance(tx store.Tx, s model.Scope, serviceID, id, creatorRequestID string, attrs map[string]string, now time.Time) (string, error) {
	svc, err := GetService(tx, s, serviceID)
	if err != nil {
		return "", err
	}
	if id == "" || len(id) > 64 || strings.ContainsAny(id, "/ ") {
		return "", Invalid("instance id must be 1 to 64 characters without '/' or spaces, got %q", id)
	}
	if err := checkAttributes(svc, attrs); err != nil {
		return "", err
	}
	key := InstanceKey(s, serviceID, id)
	cur, exists, err := store.Get[Instance](tx, key)
	if err != nil {
		return "", err
	}
	inst := Instance{Inst: sdtypes.Instance{Id: new(id), Attributes: maps.Clone(attrs)}, RegisteredAt: now, Health: cur.Health}
	if creatorRequestID != "" {
		inst.Inst.CreatorRequestId = new(creatorRequestID)
	}
	if exists {
		inst.RegisteredAt = cur.RegisteredAt
	}
	if svc.HasCustomHealth() {
		if h := attrs[AttrInitHealth]; h != "" {
			inst.Health = sdtypes.HealthStatus(h)
		} else if !exists || inst.Health == "" {
			inst.Health = sdtypes.HealthStatusHealthy
		}
	} else {
		inst.Health = ""
	}
	if err := store.Put(tx, key, inst); err != nil {
		return "", err
	}
	delta := int32(0)
	if !exists {
		delta = 1
	}
	if err := touchService(tx, s, svc, delta); err != nil {
		return "", err
	}
	return RecordOperation(tx, s, sdtypes.OperationTypeRegisterInstance,
		map[string]string{"INSTANCE": id, "SERVICE": serviceID}, now)
}

// DeregisterInstance removes an instance and returns the operation's id.
func DeregisterInstance(tx store.Tx, s model.Scope, serviceID, id string, now time.Time) (string, error) {
	svc, err := GetService(tx, s, serviceID)
	if err != nil {
		return "", err
	}
	key := InstanceKey(s, serviceID, id)
	if _, ok, err := store.Get[Instance](tx, key); err != nil {
		return "", err
	} else if !ok {
		return "", fmt.Errorf("%w: no instance %s in service %s", ErrInstanceNotFound, id, serviceID)
	}
	if err := tx.Delete(key); err != nil {
		return "", err
	}
	if err := touchService(tx, s, svc, -1); err != nil {
		return "", err
	}
	return RecordOperation(tx, s, sdtypes.OperationTypeDeregisterInstance,
		map[string]string{"INSTANCE": id, "SERVICE": serviceID}, now)
}

// SetInstanceHealth records an instance's custom health (HEALTHY or
// UNHEALTHY); the service must have HealthCheckCustomConfig.
func SetInstanceHealth(tx store.Tx, s model.Scope, serviceID, id string, status sdtypes.HealthStatus) error {
	svc, err := GetService(tx, s, serviceID)
	if err != nil {
		return err
	}
	if !svc.HasCustomHealth() {
		return fmt.Errorf("%w: service %s has no HealthCheckCustomConfig", ErrCustomHealth, serviceID)
	}
	if status != sdtypes.HealthStatusHealthy && status != sdtypes.HealthStatusUnhealthy {
		return Invalid("status must be HEALTHY or UNHEALTHY, got %q", status)
	}
	key := InstanceKey(s, serviceID, id)
	inst, ok, err := store.Get[Instance](tx, key)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: no instance %s in service %s", ErrInstanceNotFound, id, serviceID)
	}
	if inst.Health == status {
		return nil
	}
	inst.Health = status
	if err := store.Put(tx, key, inst); err != nil {
		return err
	}
	return touchService(tx, s, svc, 0)
}

// touchService bumps a service's revision and instance count.
func touchService(tx store.Tx, s model.Scope, svc Service, delta int32) error {
	n := int32(0)
	if svc.Svc.InstanceCount != nil {
		n = *svc.Svc.InstanceCount
	}
	svc.Svc.InstanceCount = new(max(n+delta, 0))
	svc.Revision++
	return store.Put(tx, ServiceKey(s, *svc.Svc.Id), svc)
}
