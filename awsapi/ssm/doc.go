// Package ssm serves the Parameter Store part of AWS Systems Manager (AWS
// JSON 1.1, target AmazonSSM) over the store: String, StringList and
// SecureString parameters with versions and labels, hierarchies read by
// path, descriptions with filters, and tags.
//
// Every parameter value is sealed with the keyring before it is stored.
// SecureString values are answered in clear only WithDecryption; Describe
// calls never answer values, and no log line or error carries one.
//
// Records live under ssm/ACCOUNT/REGION/params/NAME, so each region of each
// account is its own namespace, as in AWS. A parameter's ARN is
// arn:aws:ssm:REGION:ACCOUNT:parameter/NAME, with the leading slash of a
// hierarchical name dropped ("/db/password" → parameter/db/password).
//
// It imports awsapi, the generated shapes, store and keyring; never another
// service package, controllers or the agent.
package ssm
