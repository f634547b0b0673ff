package lbstate

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/elbv2types"
	"github.com/wharfhq/wharf/model"
)

// The key space. Every key starts with the account and region, so regions
// are separate namespaces; the data plane watches Prefix and serves every
// region's listeners.
//
//	elbv2/ACCOUNT/REGION/lbs/NAME                LoadBalancer
//	elbv2/ACCOUNT/REGION/tgs/NAME                TargetGroup
//	elbv2/ACCOUNT/REGION/listeners/LBID/ID       Listener
//	elbv2/ACCOUNT/REGION/rules/LISTENERID/ID     Rule
//	elbv2/ACCOUNT/REGION/targets/TGID/ID:PORT    Target (registrations)
//	elbv2/ACCOUNT/REGION/health/TGID/ID:PORT     Health (written by the data plane)
const Prefix = "elbv2/"

// Root is the prefix of one scope's records.
func Root(s model.Scope) string { return Prefix + s.Account + "/" + s.Region + "/" }

func LBsPrefix(s model.Scope) string          { return Root(s) + "lbs/" }
func LBKey(s model.Scope, name string) string { return LBsPrefix(s) + name }
func TGsPrefix(s model.Scope) string          { return Root(s) + "tgs/" }
func TGKey(s model.Scope, name string) string { return TGsPrefix(s) + name }
func ListenersPrefix(s model.Scope) string    { return Root(s) + "listeners/" }
func LBListenersPrefix(s model.Scope, lbID string) string {
	return ListenersPrefix(s) + lbID + "/"
}
func ListenerKey(s model.Scope, lbID, id string) string { return LBListenersPrefix(s, lbID) + id }
func RulesPrefix(s model.Scope, listenerID string) string {
	return Root(s) + "rules/" + listenerID + "/"
}
func RuleKey(s model.Scope, listenerID, id string) string { return RulesPrefix(s, listenerID) + id }
func TargetsPrefix(s model.Scope, tgID string) string {
	return Root(s) + "targets/" + tgID + "/"
}
func TargetKey(s model.Scope, tgID string, t TargetID) string {
	return TargetsPrefix(s, tgID) + t.String()
}
func HealthPrefix(s model.Scope, tgID string) string { return Root(s) + "health/" + tgID + "/" }
func HealthKey(s model.Scope, tgID string, t TargetID) string {
	return HealthPrefix(s, tgID) + t.String()
}

// IsHealthKey reports whether key holds a Health record, which the data
// plane writes itself and need not react to.
func IsHealthKey(key string) bool {
	rest, ok := strings.CutPrefix(key, Prefix)
	if !ok {
		return false
	}
	parts := strings.SplitN(rest, "/", 4)
	return len(parts) == 4 && parts[2] == "health"
}

// LoadBalancer is a stored load balancer.
type LoadBalancer struct {
	LB    elbv2types.LoadBalancer `json:"lb"`
	ID    string                  `json:"id"`
	Scope model.Scope             `json:"scope"`
	// Addr is the host address its listeners bind on (the server's
	// bind address when it was created).
	Addr       string            `json:"addr"`
	Tags       []elbv2types.Tag  `json:"tags,omitempty"`
	Attributes map[string]string `json:"attributes,omitempty"`
}

// TargetGroup is a stored target group.
type TargetGroup struct {
	TG         elbv2types.TargetGroup `json:"tg"`
	ID         string                 `json:"id"`
	Scope      model.Scope            `json:"scope"`
	Tags       []elbv2types.Tag       `json:"tags,omitempty"`
	Attributes map[string]string      `json:"attributes,omitempty"`
}

// Listener is a stored listener; DefaultRuleID names its default rule.
type Listener struct {
	L             elbv2types.Listener `json:"listener"`
	ID            string              `json:"id"`
	LBID          string              `json:"lbId"`
	LBName        string              `json:"lbName"`
	DefaultRuleID string              `json:"defaultRuleId"`
	Scope         model.Scope         `json:"scope"`
	Tags          []elbv2types.Tag    `json:"tags,omitempty"`
	// DefaultRuleTags are the tags of the default rule.
	DefaultRuleTags []elbv2types.Tag `json:"defaultRuleTags,omitempty"`
}

// Rule is a stored, non-default listener rule.
type Rule struct {
	R          elbv2types.Rule  `json:"rule"`
	ID         string           `json:"id"`
	ListenerID string           `json:"listenerId"`
	Priority   int              `json:"priority"`
	Scope      model.Scope      `json:"scope"`
	Tags       []elbv2types.Tag `json:"tags,omitempty"`
}

// TargetState is where a registration is in its life.
type TargetState string

const (
	// TargetRegistered: in service once its health checks pass.
	TargetRegistered TargetState = "registered"
	// TargetDraining: deregistered; no new requests, in-flight ones finish
	// until DrainUntil, then the record is deleted.
	TargetDraining TargetState = "draining"
)

// TargetID names a target within its group: an IP address or an instance
// id, and a port.
type TargetID struct {
	ID   string `json:"id"`
	Port int32  `json:"port"`
}

func (t TargetID) String() string { return t.ID + ":" + strconv.Itoa(int(t.Port)) }

// Target is one registration of a target in a target group.
type Target struct {
	TargetID
	AvailabilityZone string      `json:"az,omitempty"`
	State            TargetState `json:"state"`
	// RegisteredAt tells registrations apart: health written for an earlier
	// registration of the same target is not this one's.
	RegisteredAt time.Time `json:"registeredAt"`
	DrainUntil   time.Time `json:"drainUntil,omitzero"`
}

// Health is the data plane's verdict on one registration.
type Health struct {
	State        elbv2types.TargetHealthStateEnum  `json:"state"`
	Reason       elbv2types.TargetHealthReasonEnum `json:"reason,omitempty"`
	Description  string                            `json:"description,omitempty"`
	RegisteredAt time.Time                         `json:"registeredAt"`
	Since        time.Time                         `json:"since"`
}

// NewID returns 16 random hex digits, the shape of ELB ids.
func NewID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// NewDNSID returns the 10-digit number AWS puts in load balancer DNS names.
func NewDNSID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%010d", binary.BigEndian.Uint64(b[:])%1e10)
}

func arn(s model.Scope, resource string) string {
	return model.ARN{Partition: "aws", Service: "elasticloadbalancing", Region: s.Region, Account: s.Account, Resource: resource}.String()
}

// LBARN is arn:aws:elasticloadbalancing:REGION:ACCOUNT:loadbalancer/app/NAME/ID.
func LBARN(s model.Scope, name, id string) string { return arn(s, "loadbalancer/app/"+name+"/"+id) }

// TGARN is …:targetgroup/NAME/ID.
func TGARN(s model.Scope, name, id string) string { return arn(s, "targetgroup/"+name+"/"+id) }

// ListenerARN is …:listener/app/LBNAME/LBID/ID.
func ListenerARN(s model.Scope, lbName, lbID, id string) string {
	return arn(s, "listener/app/"+lbName+"/"+lbID+"/"+id)
}

// RuleARN is …:listener-rule/app/LBNAME/LBID/LISTENERID/ID.
func RuleARN(s model.Scope, lbName, lbID, listenerID, id string) string {
	return arn(s, "listener-rule/app/"+lbName+"/"+lbID+"/"+listenerID+"/"+id)
}

// DNSName is NAME-DNSID.REGION.elb.localhost, with internal- in front for
// internal load balancers, as AWS names them under elb.amazonaws.com.
func DNSName(s model.Scope, name, dnsID string, internal bool) string {
	n := name + "-" + dnsID + "." + s.Region + ".elb.localhost"
	if internal {
		n = "internal-" + n
	}
	return n
}

// Ref is a parsed ELBv2 ARN.
type Ref struct {
	Scope model.Scope
	// Kind is loadbalancer, targetgroup, listener or listener-rule.
	Kind string
	// Name is the load balancer's or target group's name.
	Name string
	// LBID, ID and ListenerID are the ids in the ARN (ID is the resource's
	// own: the load balancer's, target group's, listener's or rule's).
	LBID, ListenerID, ID string
}

// ParseARN parses an ELBv2 ARN of an application load balancer, a target
// group, a listener or a rule; ok is false for anything else.
func ParseARN(s string) (r Ref, ok bool) {
	a, ok := model.ParseARN(s)
	if !ok || a.Service != "elasticloadbalancing" || a.Region == "" || a.Account == "" {
		return r, false
	}
	r.Scope = model.Scope{Account: a.Account, Region: a.Region}
	p := strings.Split(a.Resource, "/")
	for _, part := range p {
		if part == "" {
			return r, false
		}
	}
	switch {
	case len(p) == 4 && p[0] == "loadbalancer" && p[1] == "app":
		r.Kind, r.Name, r.ID, r.LBID = p[0], p[2], p[3], p[3]
	case len(p) == 3 && p[0] == "targetgroup":
		r.Kind, r.Name, r.ID = p[0], p[1], p[2]
	case len(p) == 5 && p[0] == "listener" && p[1] == "app":
		r.Kind, r.Name, r.LBID, r.ID, r.ListenerID = p[0], p[2], p[3], p[4], p[4]
	case len(p) == 6 && p[0] == "listener-rule" && p[1] == "app":
		r.Kind, r.Name, r.LBID, r.ListenerID, r.ID = p[0], p[2], p[3], p[4], p[5]
	default:
		return r, false
	}
	return r, true
}

// TargetAddr is the host:port the data plane dials for a target: an IP
// target's own address, or for an instance target the host address task
// ports are published on (hostIP), as wharf runs every task on this host.
func TargetAddr(tg elbv2types.TargetTypeEnum, id TargetID, hostIP string) string {
	ip := id.ID
	if tg == elbv2types.TargetTypeEnumInstance {
		ip = hostIP
		if ip == "" || ip == "0.0.0.0" || ip == "::" {
			ip = "127.0.0.1"
		}
	}
	return net.JoinHostPort(ip, strconv.Itoa(int(id.Port)))
}
