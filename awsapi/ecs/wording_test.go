package ecs

import (
	"errors"
	"testing"

	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
)

// TestECSEnumError rewords the generated validation's enum violations; the
// first cases run the generated Validate, so a change of its wording in
// internal/smithygen shows here.
func TestECSEnumError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		code string // "" when the error must come back unchanged
		msg  string
	}{
		{"generated launchType", (&ecstypes.RunTaskRequest{TaskDefinition: new("td"), LaunchType: "X"}).Validate(),
			awsapi.CodeInvalidParameter, "launch type should be one of [EC2,FARGATE,EXTERNAL,MANAGED_INSTANCES]"},
		{"generated list element", (&ecstypes.RegisterTaskDefinitionRequest{Family: new("f"), ContainerDefinitions: []ecstypes.ContainerDefinition{},
			RequiresCompatibilities: []ecstypes.Compatibility{"EC2", "MOON"}}).Validate(),
			awsapi.CodeInvalidParameter, "requiresCompatibilities should be one of [EC2,FARGATE,EXTERNAL,MANAGED_INSTANCES]"},
		{"nested member", shape.Prefix(shape.Prefix(shape.Invalid("logDriver", "x", "Member must satisfy enum value set: [a, b]"), "1"), "containerDefinitions"),
			awsapi.CodeInvalidParameter, "logDriver should be one of [a,b]"},
		{"not an enum violation", shape.Required("family"), "", ""},
		{"already an API error", awsapi.Errorf(awsapi.CodeClientException, "kept"), awsapi.CodeClientException, "kept"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.err == nil {
				t.Fatal("the request passed validation")
			}
			got := ecsEnumError(tt.err)
			if tt.code == "" {
				if got != tt.err {
					t.Fatalf("changed %v into %v", tt.err, got)
				}
				return
			}
			var ae *awsapi.Error
			if !errors.As(got, &ae) || ae.Code != tt.code || ae.Message != tt.msg {
				t.Fatalf("got %v, want %s: %s", got, tt.code, tt.msg)
			}
		})
	}
}
