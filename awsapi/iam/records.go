package iam

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/store"
)

// Kinds of identity records; each also names the ARN's resource type.
const (
	kindUser    = "user"
	kindGroup   = "group"
	kindRole    = "role"
	kindPolicy  = "policy"
	kindProfile = "instance-profile"
)

const prefix = "wharf/iam/"

// key is where a record of kind named name lives in account. IAM names
// are unique regardless of case, so the key folds case.
func key(account, kind, name string) string {
	return prefix + account + "/" + kind + "/" + strings.ToLower(name)
}

func kindPrefix(account, kind string) string { return prefix + account + "/" + kind + "/" }

// accessKeyKey is where an access key lives: keys are found by id alone
// when a call is signed with one.
func accessKeyKey(id string) string { return prefix + "access-key/" + id }

type tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// entity is a user, a group or a role: what policies attach to. Fields
// that do not apply to a kind stay empty.
type entity struct {
	Kind    string            `json:"kind"`
	Name    string            `json:"name"`
	Path    string            `json:"path"`
	ID      string            `json:"id"`
	ARN     string            `json:"arn"`
	Created time.Time         `json:"created"`
	Tags    []tag             `json:"tags,omitempty"`
	Inline  map[string]string `json:"inline,omitempty"`   // policy name → document
	Managed []string          `json:"attached,omitempty"` // policy ARNs, in attach order
	// Groups (users) are the names of the groups the user belongs to.
	Groups []string `json:"groups,omitempty"`
	// Trust, Description and MaxSession are a role's.
	Trust       string `json:"trust,omitempty"`
	Description string `json:"description,omitempty"`
	MaxSession  int32  `json:"maxSession,omitempty"`
	// Boundary (users and roles) is the ARN of the managed policy that is
	// the entity's permissions boundary (boundaries.go).
	Boundary string `json:"boundary,omitempty"`
}

// policyVersion is one version of a customer managed policy.
type policyVersion struct {
	ID      string    `json:"id"`
	Doc     string    `json:"doc"`
	Created time.Time `json:"created"`
}

// managedPolicy is a customer managed policy.
type managedPolicy struct {
	Name        string          `json:"name"`
	Path        string          `json:"path"`
	ID          string          `json:"id"`
	ARN         string          `json:"arn"`
	Description string          `json:"description,omitempty"`
	Created     time.Time       `json:"created"`
	Updated     time.Time       `json:"updated"`
	Default     string          `json:"default"`
	Versions    []policyVersion `json:"versions"`
	NextVersion int             `json:"nextVersion"`
	Tags        []tag           `json:"tags,omitempty"`
}

func (p *managedPolicy) defaultDoc() string {
	for _, v := range p.Versions {
		if v.ID == p.Default {
			return v.Doc
		}
	}
	return ""
}

// profile is an instance profile.
type profile struct {
	Name    string    `json:"name"`
	Path    string    `json:"path"`
	ID      string    `json:"id"`
	ARN     string    `json:"arn"`
	Created time.Time `json:"created"`
	Roles   []string  `json:"roles,omitempty"` // role names (IAM allows one)
	Tags    []tag     `json:"tags,omitempty"`
}

// accessKey is an IAM user's access key; the secret is kept sealed.
type accessKey struct {
	ID      string    `json:"id"`
	Account string    `json:"account"`
	User    string    `json:"user"`
	Sealed  string    `json:"sealed"`
	Status  string    `json:"status"` // Active or Inactive
	Created time.Time `json:"created"`
}

// getEntity reads the user, group or role named name, or answers
// NoSuchEntity in IAM's wording.
func getEntity(tx store.ReadTx, account, kind, name string) (entity, error) {
	return awsapi.Find[entity](tx, key(account, kind, name), func() error { return noSuchEntityOf(kind, name) })
}

func noSuchEntityOf(kind, name string) error {
	return noSuchEntity("The %s with name %s cannot be found.", kind, name)
}

// listEntities reads every record of kind in account, by name.
func listEntities(tx store.ReadTx, account, kind string) ([]entity, error) {
	return store.List[entity](tx, kindPrefix(account, kind))
}

// page cuts a name-sorted list at marker (the name to start from) and
// maxItems (100 when 0), as IAM's Marker/MaxItems paging does.
func page[T any](items []T, name func(T) string, marker string, maxItems int32) ([]T, string, bool) {
	sort.SliceStable(items, func(i, j int) bool { return strings.ToLower(name(items[i])) < strings.ToLower(name(items[j])) })
	start := 0
	if marker != "" {
		start = sort.Search(len(items), func(i int) bool { return strings.ToLower(name(items[i])) >= strings.ToLower(marker) })
	}
	n := int(maxItems)
	if n <= 0 || n > 1000 {
		n = 100
	}
	items = items[start:]
	if len(items) > n {
		return items[:n], name(items[n]), true
	}
	return items, "", false
}

// read runs fn in a read transaction.
func (a *API) read(ctx context.Context, fn func(store.ReadTx) error) error {
	return a.DB.View(ctx, fn)
}

// write runs fn in a write transaction.
func (a *API) write(ctx context.Context, fn func(store.Tx) error) error {
	_, err := a.DB.Update(ctx, fn)
	return err
}
