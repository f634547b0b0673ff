// Package secretsmanager serves AWS Secrets Manager (AWS JSON 1.1, target
// secretsmanager) over the store: secrets with versions and staging labels
// (AWSCURRENT, AWSPREVIOUS), ARNs with AWS's six-character random suffix,
// scheduled deletion with a recovery window, and tags.
//
// Secret values are sealed with the keyring before they are stored and
// opened only to answer GetSecretValue; no other answer, log line or error
// message carries a value.
//
// Records live under secretsmanager/ACCOUNT/REGION/secrets/NAME, so each
// region of each account is its own namespace, as in AWS.
//
// It imports awsapi, the generated shapes, store and keyring; never another
// service package, controllers or the agent.
package secretsmanager
