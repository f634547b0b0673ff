package sdstate

import (
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	sdtypes "github.com/wharfhq/wharf/api/servicediscoverytypes"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/store"
)

// The key space; every key starts with the account and region.
//
//	sd/ACCOUNT/REGION/namespaces/NSID               Namespace
//	sd/ACCOUNT/REGION/services/SRVID                Service
//	sd/ACCOUNT/REGION/instances/SRVID/INSTANCEID    Instance
//	sd/ACCOUNT/REGION/operations/OPID               Operation
const Prefix = "sd/"

func Root(s model.Scope) string                    { return Prefix + s.Account + "/" + s.Region + "/" }
func NamespacesPrefix(s model.Scope) string        { return Root(s) + "namespaces/" }
func NamespaceKey(s model.Scope, id string) string { return NamespacesPrefix(s) + id }
func ServicesPrefix(s model.Scope) string          { return Root(s) + "services/" }
func ServiceKey(s model.Scope, id string) string   { return ServicesPrefix(s) + id }
func InstancesPrefix(s model.Scope, serviceID string) string {
	return Root(s) + "instances/" + serviceID + "/"
}
func InstanceKey(s model.Scope, serviceID, id string) string {
	return InstancesPrefix(s, serviceID) + id
}
func OperationsPrefix(s model.Scope) string        { return Root(s) + "operations/" }
func OperationKey(s model.Scope, id string) string { return OperationsPrefix(s) + id }

// Namespace is a stored namespace.
type Namespace struct {
	NS    sdtypes.Namespace `json:"namespace"`
	Scope model.Scope       `json:"scope"`
	Vpc   string            `json:"vpc,omitempty"`
	Tags  []sdtypes.Tag     `json:"tags,omitempty"`
	// OperationID is the operation that created it, answered again to a
	// retry with the same CreatorRequestId.
	OperationID string `json:"operationId"`
}

// Service is a stored service. Service.InstanceCount is kept current;
// Revision grows with every change to its instances (DiscoverInstances'
// InstancesRevision).
type Service struct {
	Svc           sdtypes.Service `json:"service"`
	Scope         model.Scope     `json:"scope"`
	NamespaceName string          `json:"namespaceName"`
	Tags          []sdtypes.Tag   `json:"tags,omitempty"`
	Revision      int64           `json:"revision"`
}

// Instance is a registered instance and its health.
type Instance struct {
	Inst sdtypes.Instance `json:"instance"`
	// Health is HEALTHY or UNHEALTHY for services with a custom health
	// check, and empty (not checked: always served) otherwise.
	Health       sdtypes.HealthStatus `json:"health,omitempty"`
	RegisteredAt time.Time            `json:"registeredAt"`
}

// Operation is a stored operation; wharf's complete at once.
type Operation struct {
	Op sdtypes.Operation `json:"operation"`
}

// Errors the transactions return; the API maps them to Cloud Map's codes.
var (
	ErrNamespaceNotFound = errors.New("namespace not found")
	ErrServiceNotFound   = errors.New("service not found")
	ErrInstanceNotFound  = errors.New("instance not found")
	ErrCustomHealth      = errors.New("custom health check not found")
	ErrInvalid           = errors.New("invalid input")
)

// Invalid is an ErrInvalid with a message naming what to fix.
func Invalid(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrInvalid, fmt.Sprintf(format, args...))
}

const idAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// NewID returns prefix and n random lowercase letters and digits, the shape
// of Cloud Map ids (ns-…, srv-…).
func NewID(prefix string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = idAlphabet[int(b[i])%len(idAlphabet)]
	}
	return prefix + string(b)
}

// NewOperationID returns an id shaped as Cloud Map's operation ids.
func NewOperationID() string { return NewID("", 32) + "-" + NewID("", 8) }

func arn(s model.Scope, resource string) string {
	return model.ARN{Partition: "aws", Service: "servicediscovery", Region: s.Region, Account: s.Account, Resource: resource}.String()
}

// NamespaceARN is arn:aws:servicediscovery:REGION:ACCOUNT:namespace/ID.
func NamespaceARN(s model.Scope, id string) string { return arn(s, "namespace/"+id) }

// ServiceARN is arn:aws:servicediscovery:REGION:ACCOUNT:service/ID.
func ServiceARN(s model.Scope, id string) string { return arn(s, "service/"+id) }

// ParseServiceRef resolves a service id or ARN (as ECS serviceRegistries
// give it) to its scope and id; ok is false when it is neither.
func ParseServiceRef(def model.Scope, ref string) (model.Scope, string, bool) {
	if a, ok := model.ParseARN(ref); ok {
		id, found := strings.CutPrefix(a.Resource, "service/")
		if a.Service != "servicediscovery" || !found || id == "" {
			return def, "", false
		}
		return model.Scope{Account: a.Account, Region: a.Region}, id, true
	}
	return def, ref, strings.HasPrefix(ref, "srv-")
}

// RecordOperation stores a finished operation and returns its id.
func RecordOperation(tx store.Tx, s model.Scope, typ sdtypes.OperationType, targets map[string]string, now time.Time) (string, error) {
	id := NewOperationID()
	ts := sdtypes.Operation{Id: new(id), Type: typ, Status: sdtypes.OperationStatusSuccess, Targets: targets}
	ts.CreateDate.Time, ts.UpdateDate.Time = now.Truncate(time.Millisecond), now.Truncate(time.Millisecond)
	return id, store.Put(tx, OperationKey(s, id), Operation{Op: ts})
}
