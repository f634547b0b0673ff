package awsapi

import "context"

// Stand-in for the authentication branch's key resolvers, so that the IAM
// and STS packages build before it is merged; the lead replaces this file
// with the real declarations (same names and signatures).

// KeyResolver finds the secret and the principal of an access key; it
// answers ("", nil, nil) for a key it does not know.
type KeyResolver func(ctx context.Context, cred Credential) (secret string, p *Principal, err error)

// AddKeyResolver asks r after every resolver installed before it.
func (s *Server) AddKeyResolver(r KeyResolver) {
	prev := s.principals
	s.principals = func(ctx context.Context, cred Credential) (*Principal, error) {
		if prev != nil {
			p, err := prev(ctx, cred)
			if p != nil || err != nil {
				return p, err
			}
		}
		_, p, err := r(ctx, cred)
		return p, err
	}
}
