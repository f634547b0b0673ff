package agentproto

// SecretPath is where an agent gets its own secret: POST a SecretRequest
// signed with SigV4 by a key of the account (the embedded agent uses the
// root keys); the answer is a SecretResponse. The agent keeps the secret
// (0600) and sends it on every call to the agent endpoints (PollPath,
// RegisterPath, CredentialsPath) as "Authorization: Bearer SECRET"; the
// control plane stores only its hash. A node that has a secret gets a new
// one (the old one stops working) only for a request signed with a key
// wharf knows, even when auth is off.
const SecretPath = "/_wharf/agent/v1/secret"

// SecretRequest asks for the node's secret.
type SecretRequest struct {
	NodeID string `json:"nodeId"`
}

// SecretResponse carries the node's new secret.
type SecretResponse struct {
	Secret string `json:"secret"`
}
