// Package iampolicy parses IAM policy documents and evaluates them as IAM
// does: an explicit Deny beats any Allow, and what no statement allows is
// denied. It knows Action/NotAction, Resource/NotResource, Principal (for
// trust policies), Condition with AWS's operators and set qualifiers, and
// the policy variables of Version 2012-10-17; permissions boundaries
// (EvaluateBounded), and condition keys resolved on demand
// (Request.Resolve) for values that cost a read, such as resource tags.
//
// It is pure: plain values in, a decision out. It imports nothing of
// wharf's; the IAM service and the authorizer build its Request.
package iampolicy
