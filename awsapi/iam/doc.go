// Package iam serves AWS Identity and Access Management over the Query
// protocol (Version 2010-05-08): users and their access keys, groups,
// roles with trust policies, inline and managed policies (AWS managed
// ones included, read-only), instance profiles and tags. IAM is global:
// its records are per account, not per region, and its ARNs carry no
// region (arn:aws:iam::ACCOUNT:role/NAME).
//
// It is also where policies meet calls: Authorize is the awsapi
// Authorizer that evaluates a principal's policies (package iampolicy)
// for each call, bounded by the user's or role's permissions boundary,
// with resource tag conditions (aws:ResourceTag/KEY) read through
// awsapi.ResourceTags only when a policy names them; services ask it
// again mid-call through awsapi.Authorize (ECS's iam:PassRole). ResolveKey
// is the awsapi KeyResolver of users' access keys. Roles serves STS the
// trust policies it checks.
//
// Records live under wharf/iam/ in the store. It imports awsapi,
// iampolicy, keyring and store; no other service package.
package iam
