package iampolicy

// Policy types that can decide a request, for the refusal's wording
// ("because no permissions boundary allows …").
type Source int

const (
	// ByIdentity: the identity-based policies decided.
	ByIdentity Source = iota
	// ByBoundary: the permissions boundary decided.
	ByBoundary
)

// EvaluateBounded judges r as IAM does for a principal whose identity
// policies are identity and whose permissions boundary is boundary (nil:
// none). The effective permissions are the intersection: an explicit deny
// in either refuses, then the request needs an allow from the identity
// policies and from the boundary (IAM User Guide, "Permissions boundaries
// for IAM entities"). Source names the policy type that refused (or
// ByIdentity for an allow).
func EvaluateBounded(r *Request, boundary *Policy, identity ...*Policy) (Decision, Source) {
	id := Evaluate(r, identity...)
	if id == ExplicitDeny {
		return ExplicitDeny, ByIdentity
	}
	if boundary == nil {
		return id, ByIdentity
	}
	b := boundary.Evaluate(r)
	switch {
	case b == ExplicitDeny:
		return ExplicitDeny, ByBoundary
	case id != Allow:
		return id, ByIdentity
	case b != Allow:
		return ImplicitDeny, ByBoundary
	}
	return Allow, ByIdentity
}
