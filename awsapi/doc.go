// Package awsapi is wharf's one HTTP front door for every AWS API it serves.
//
// It owns the wire protocols shared by the services (AWS JSON 1.1, and the
// Query protocol of ELBv2), the SigV4 credential scope that decides a
// request's region, the request context (region, account, request id), and the
// single error story: every handler returns Go errors, and this package alone
// turns them into AWS error shapes and HTTP statuses.
//
// It also holds the scaffolding every service package shares rather than
// copies: the Base its API type embeds (store, logger, clock), ScopeOf (the
// account and region a call addresses), paging backed by the store's own
// (Cursor, StorePage, ViewPage; SlicePage for lists not in key order), the
// tag rules AWS applies (TagRules, each service passing its own errors),
// and Read/ReadRef, Deref, OrEmpty, IsCode and Wrap. The e2e tests of the
// service packages share internal/apitest and internal/wiretest.
//
// Service packages (awsapi/ecs, …) import this package; it imports none of
// them, and never imports controllers, the agent or the runtime.
package awsapi
