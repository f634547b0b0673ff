// Package credentials is the control plane's half of the ECS credentials
// story: it mints short-lived keys for the roles of tasks (the task role a
// task's containers use through the credentials endpoint, the execution
// role the agent signs its calls for the task with), stores them, and
// tells awsapi whose role an incoming call's access key belongs to.
//
//	agent ──POST agentproto.CredentialsPath──▶ Mint: the task's role (its
//	      ◀── {AccessKeyId, SecretAccessKey,   overrides, then its definition),
//	           Token, Expiration, RoleArn}     keys stored, secret sealed
//	any client ──SigV4 call (ASIA… key)──▶ awsapi.Server ──Resolve──▶
//	      the role as an assumed-role Principal on awsapi.Request
//
// Keys live six hours (ECS refreshes task credentials well before they
// expire; the agent here re-mints when less than half an hour is left).
// Records live at wharf/credentials/ACCESS-KEY-ID; the secret key is sealed
// with the keyring and only a hash of the session token is kept. Signature
// verification is not done yet: a call is attributed by its access key
// and session token alone.
//
// It imports awsapi, agentproto, state, model, store and keyring; never a
// service package, controllers or the agent.
package credentials
