package model

import (
	"testing"

	"github.com/wharfhq/wharf/api/ecstypes"
)

// TestSecretsNeedExecutionRole: ECS refuses a task definition whose
// containers have secrets but which names no execution role.
func TestSecretsNeedExecutionRole(t *testing.T) {
	secret := []ecstypes.Secret{{Name: new("DB"), ValueFrom: new("arn:aws:secretsmanager:us-east-1:000000000000:secret:db-AbCdEf")}}
	const want = "When you are specifying container secrets, you must also specify a value for 'executionRoleArn'."
	tests := []struct {
		name    string
		exec    *string
		secrets []ecstypes.Secret
		wantErr string
	}{
		{"secrets without execution role", nil, secret, want},
		{"secrets with an empty execution role", new(""), secret, want},
		{"secrets with execution role", new("arn:aws:iam::000000000000:role/exec"), secret, ""},
		{"no secrets, no role", nil, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &ecstypes.RegisterTaskDefinitionRequest{Family: new("app"), ExecutionRoleArn: tt.exec,
				ContainerDefinitions: []ecstypes.ContainerDefinition{{Name: new("app"), Image: new("app"), Memory: new(int32(64)), Secrets: tt.secrets}}}
			_, err := NewTaskDefinition(in)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("NewTaskDefinition: %v", err)
			case tt.wantErr != "" && (err == nil || err.Error() != tt.wantErr):
				t.Fatalf("NewTaskDefinition = %v, want %q", err, tt.wantErr)
			}
		})
	}
}
