package awsapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
)

// Request is what every handler may know about the call it serves.
type Request struct {
	ID        string // x-amzn-RequestId
	Region    string
	Account   string
	AccessKey string // empty when unsigned
	Operation string
	// Host is the Host header the call was sent to, so a reply can name
	// this same endpoint (DiscoverPollEndpoint).
	Host string
	// Principal is who signed the call when wharf knows its access key (a
	// task or execution role's minted credentials); nil otherwise.
	Principal *Principal
	// authz is the authorizer's hook for checks a service makes once it
	// has read its records (Authorize in authz.go); nil when no policy
	// is evaluated for the call.
	authz func(ctx context.Context, action string, resources []string, keys map[string][]string) error
}

type requestKey struct{}

// WithRequest returns ctx carrying req.
func WithRequest(ctx context.Context, req *Request) context.Context {
	return context.WithValue(ctx, requestKey{}, req)
}

// RequestFrom returns the request ctx carries; outside a request (tests,
// controllers) it answers the default region and account.
func RequestFrom(ctx context.Context) *Request {
	if r, ok := ctx.Value(requestKey{}).(*Request); ok {
		return r
	}
	return &Request{Region: DefaultRegion, Account: DefaultAccount}
}

// DefaultAccount is the account id wharf answers for unless configured.
const DefaultAccount = "000000000000"

// NewRequestID returns a random id in the UUID layout AWS uses.
func NewRequestID() string { return NewUUID() }

// NewUUID returns a random (version 4) UUID, for the ids AWS makes so.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
