// Package sts serves AWS Security Token Service over the Query protocol
// (Version 2011-06-15): GetCallerIdentity, AssumeRole (the role's trust
// policy checked against the caller) and GetSessionToken. The temporary
// keys it issues (ASIA…, with a session token) resolve through
// ResolveKey, an awsapi.KeyResolver, to an AssumedRole or User principal;
// CheckSessionPolicy narrows an AssumeRole session to its inline session
// policy (managed session policies, PolicyArns, are not applied yet).
//
// Roles and users are IAM's: STS reads them through the Directory it is
// given (server/mount_sts.go adapts package iam), never by importing
// another service package. Sessions live under wharf/sts/ in the store.
package sts
