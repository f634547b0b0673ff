package ecs

import (
	"context"
	"errors"
	"strings"

	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/awsapi"
)

// enumReason opens the reason of every enum violation the generated
// validation reports (api/shape, internal/smithygen); the values follow in
// brackets, separated by ", ".
const enumReason = "Member must satisfy enum value set: ["

// enumWords are the names ECS gives, in its enum refusals, to members whose
// wire name it does not use there. Members not listed are named as on the
// wire.
var enumWords = map[string]string{
	"launchType": "launch type",
}

// speakECS makes every operation of svc answer an enum value outside the
// model's set as ECS does, e.g. "launch type should be one of
// [EC2,FARGATE,EXTERNAL]" (InvalidParameterException), instead of the
// generic "1 validation error detected: ..." that other AWS services use.
// Other model violations keep the generic wording.
func speakECS(svc *awsapi.JSONService) *awsapi.JSONService {
	for name, h := range svc.Ops {
		svc.Ops[name] = func(ctx context.Context, body []byte) (any, error) {
			resp, err := h(ctx, body)
			if err != nil {
				return nil, ecsEnumError(err)
			}
			return resp, nil
		}
	}
	return svc
}

// ecsEnumError rewords a model enum violation in ECS's words; any other
// error is returned unchanged.
func ecsEnumError(err error) error {
	if _, isAPI := awsapi.AsError(err); isAPI {
		return err
	}
	var ve *shape.ValidationError
	if !errors.As(err, &ve) || ve.Null {
		return err
	}
	values, ok := strings.CutPrefix(ve.Reason, enumReason)
	if !ok {
		return err
	}
	values = strings.ReplaceAll(strings.TrimSuffix(values, "]"), ", ", ",")
	return invalidParam("%s should be one of [%s]", enumMember(ve.Path), values)
}

// enumMember names the member at path ("containerDefinitions.1.logConfiguration.logDriver",
// "requiresCompatibilities.2") as ECS does: its own name, not the path to it.
func enumMember(path string) string {
	parts := strings.Split(path, ".")
	name := parts[len(parts)-1]
	for i := len(parts) - 1; i >= 0; i-- {
		if !isIndex(parts[i]) {
			name = parts[i]
			break
		}
	}
	if w, ok := enumWords[name]; ok {
		return w
	}
	return name
}

func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
