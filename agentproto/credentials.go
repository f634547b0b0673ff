package agentproto

// CredentialsPath is the control plane's endpoint where an agent gets
// short-lived credentials for a role of a task it runs: the task role, for
// the credentials endpoint the task's containers call, or the execution
// role, which the agent signs its own calls for the task with (secrets,
// logs). POST a CredentialsRequest; the answer is Credentials, or an error
// status with {"code": …, "message": …}.
const CredentialsPath = "/_wharf/agent/v1/credentials"

// Which role of a task credentials are for.
const (
	RoleTask      = "task"      // the task definition's taskRoleArn
	RoleExecution = "execution" // its executionRoleArn
)

// CredentialsRequest asks for credentials of one role of a task. The
// control plane takes the role's ARN from the task (its overrides, then
// its definition) and mints only for the node the task is assigned to.
type CredentialsRequest struct {
	NodeID  string `json:"nodeId"`
	TaskARN string `json:"taskArn"`
	Role    string `json:"role"`
}

// Credentials are short-lived keys for a role, with the member names and
// layout the ECS credentials endpoint answers containers with.
type Credentials struct {
	AccessKeyID     string `json:"AccessKeyId"`
	SecretAccessKey string `json:"SecretAccessKey"`
	Token           string `json:"Token"`
	// Expiration is RFC 3339 in UTC, e.g. "2026-03-01T18:00:00Z".
	Expiration string `json:"Expiration"`
	RoleArn    string `json:"RoleArn"`
}
