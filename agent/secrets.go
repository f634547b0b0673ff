package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/shape"
	"github.com/wharfhq/wharf/model"
)

// secretsHook injects a container's `secrets` as environment variables, as
// ECS does: every secret of the task is resolved once, when its first
// container is created, by calling Secrets Manager and Parameter Store
// over HTTP signed with the task's execution role credentials; later
// containers of the task get values from that same resolution, so a
// rotation reaches new tasks only. Values live in memory while the task
// runs and are never logged.
//
// valueFrom is, as ECS takes it:
//
//	arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf
//	arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-AbCdEf:JSON-KEY:VERSION-STAGE:VERSION-ID
//	    (each of the three may be empty; the colons are required)
//	arn:aws:ssm:REGION:ACCOUNT:parameter/NAME   (a parameter in any region)
//	NAME or /PATH/NAME                          (a parameter in the task's region)
type secretsHook struct {
	a      *Agent
	mu     sync.Mutex
	byTask map[string]*taskSecrets
}

// taskSecrets is one task's resolution: done once, for every container.
type taskSecrets struct {
	once sync.Once
	env  map[string]map[string]string // container → variable → value
	err  error
}

func init() {
	hookMakers = append(hookMakers, func(a *Agent) containerHook {
		h := &secretsHook{a: a, byTask: map[string]*taskSecrets{}}
		return h.hook
	})
}

// ecsSecretsPrefix starts every reason a secret fails a task with; the
// runner puts "ResourceInitializationError: " before it.
const ecsSecretsPrefix = "unable to pull secrets or registry auth: execution resource retrieval failed: "

func (h *secretsHook) hook(ctx context.Context, as agentproto.Assignment, container string) (map[string]string, error) {
	if !hasSecrets(as) {
		return nil, nil
	}
	h.mu.Lock()
	ts := h.byTask[as.TaskARN]
	if ts == nil {
		ts = &taskSecrets{}
		h.byTask[as.TaskARN] = ts
	}
	h.mu.Unlock()
	ts.once.Do(func() {
		ts.env, ts.err = h.resolve(ctx, as)
		h.forgetGone()
	})
	if ts.err != nil {
		return nil, ts.err
	}
	return ts.env[container], nil
}

func hasSecrets(as agentproto.Assignment) bool {
	for _, c := range as.Definition.ContainerDefinitions {
		if len(c.Secrets) > 0 {
			return true
		}
	}
	return false
}

// forgetGone drops the values of tasks this agent no longer runs.
func (h *secretsHook) forgetGone() {
	a := h.a
	a.mu.Lock()
	live := make(map[string]bool, len(a.tasks))
	for arn, tr := range a.tasks {
		live[arn] = tr.goneAt.IsZero()
	}
	a.mu.Unlock()
	h.mu.Lock()
	defer h.mu.Unlock()
	for arn := range h.byTask {
		if !live[arn] {
			delete(h.byTask, arn)
		}
	}
}

// asmRef is a parsed Secrets Manager valueFrom.
type asmRef struct {
	region, secretID, jsonKey, stage, versionID string
}

// resolve fetches every secret of the task and answers each container's
// variables.
func (h *secretsHook) resolve(ctx context.Context, as agentproto.Assignment) (map[string]map[string]string, error) {
	cred, err := h.a.creds.executionCredentials(ctx, as)
	if err != nil {
		return nil, fmt.Errorf("%sunable to get execution role credentials: %w", ecsSecretsPrefix, err)
	}
	taskRegion := regionOf(as.TaskARN)
	// One GetParameters call per region for the parameters (in batches of
	// ten), one GetSecretValue per distinct secret reference.
	params := map[string][]string{} // region → valueFrom
	asm := map[string]asmRef{}      // valueFrom → ref
	for _, c := range as.Definition.ContainerDefinitions {
		for _, s := range c.Secrets {
			from := shape.Deref(s.ValueFrom)
			switch a, isARN := model.ParseARN(from); {
			case isARN && a.Service == "secretsmanager":
				ref, err := parseASM(a)
				if err != nil {
					return nil, fmt.Errorf("%sunable to retrieve secret from asm: trying to retrieve secret with value %s resulted in error: %w", ecsSecretsPrefix, from, err)
				}
				asm[from] = ref
			case isARN && a.Service == "ssm":
				params[a.Region] = appendNew(params[a.Region], from)
			case isARN:
				return nil, fmt.Errorf("%svalueFrom %s of secret %s is neither a Secrets Manager secret nor a Systems Manager parameter", ecsSecretsPrefix, from, shape.Deref(s.Name))
			default:
				params[taskRegion] = appendNew(params[taskRegion], from)
			}
		}
	}
	values := map[string]string{}
	for from, ref := range asm {
		v, err := h.getSecret(ctx, cred, ref, from)
		if err != nil {
			return nil, err
		}
		values[from] = v
	}
	for region, names := range params {
		if err := h.getParameters(ctx, cred, region, names, values); err != nil {
			return nil, err
		}
	}
	out := map[string]map[string]string{}
	for _, c := range as.Definition.ContainerDefinitions {
		env := map[string]string{}
		for _, s := range c.Secrets {
			env[shape.Deref(s.Name)] = values[shape.Deref(s.ValueFrom)]
		}
		out[shape.Deref(c.Name)] = env
	}
	return out, nil
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// parseASM reads secret:NAME-AbCdEf, or secret:NAME-AbCdEf:JSON-KEY:STAGE:VERSION-ID.
func parseASM(a model.ARN) (asmRef, error) {
	parts := strings.Split(a.Resource, ":")
	ref := asmRef{region: a.Region}
	switch {
	case len(parts) == 2 && parts[0] == "secret":
		ref.secretID = a.String()
	case len(parts) == 5 && parts[0] == "secret":
		base := a
		base.Resource = parts[0] + ":" + parts[1]
		ref.secretID, ref.jsonKey, ref.stage, ref.versionID = base.String(), parts[2], parts[3], parts[4]
	default:
		return ref, fmt.Errorf("an invalid ARN format for the AWS Secrets Manager secret was specified. Specify a valid ARN and try again")
	}
	return ref, nil
}

// getSecret calls GetSecretValue and picks the JSON key if asked to.
func (h *secretsHook) getSecret(ctx context.Context, cred agentproto.Credentials, ref asmRef, from string) (string, error) {
	in := map[string]string{"SecretId": ref.secretID}
	if ref.stage != "" {
		in["VersionStage"] = ref.stage
	}
	if ref.versionID != "" {
		in["VersionId"] = ref.versionID
	}
	var out struct {
		SecretString *string
		SecretBinary []byte
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%sunable to retrieve secret from asm: service call has been retried 1 time(s): failed to fetch secret %s from secrets manager: %s",
			ecsSecretsPrefix, ref.secretID, fmt.Sprintf(format, args...))
	}
	if err := h.a.cl.callAs(ctx, cred, ref.region, "secretsmanager", "secretsmanager", "GetSecretValue", in, &out); err != nil {
		return "", fail("%s", callErrorText(err))
	}
	if out.SecretString == nil {
		return "", fail("the secret holds a binary value (SecretBinary), and ECS injects only SecretString values")
	}
	if ref.jsonKey == "" {
		return *out.SecretString, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(*out.SecretString), &m); err != nil {
		return "", fail("the secret's value is not a JSON object, so its json key %s cannot be read", ref.jsonKey)
	}
	raw, ok := m[ref.jsonKey]
	if !ok {
		return "", fail("retrieved secret from Secrets Manager did not contain json key %s", ref.jsonKey)
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, nil
	}
	return string(raw), nil // a number, boolean or object, as JSON
}

// getParameters reads parameters (names or ARNs) of one region with
// decryption, ten at a time, into values.
func (h *secretsHook) getParameters(ctx context.Context, cred agentproto.Credentials, region string, names []string, values map[string]string) error {
	for len(names) > 0 {
		batch := names[:min(10, len(names))]
		names = names[len(batch):]
		var out struct {
			Parameters []struct {
				Name, Value, ARN string
			}
			InvalidParameters []string
		}
		in := map[string]any{"Names": batch, "WithDecryption": true}
		if err := h.a.cl.callAs(ctx, cred, region, "ssm", "AmazonSSM", "GetParameters", in, &out); err != nil {
			return fmt.Errorf("%sunable to retrieve secrets from ssm: service call has been retried 1 time(s): fetching secret data from SSM Parameter Store in %s: %s",
				ecsSecretsPrefix, region, callErrorText(err))
		}
		if len(out.InvalidParameters) > 0 {
			return fmt.Errorf("%sunable to retrieve secrets from ssm: service call has been retried 1 time(s): fetching secret data from SSM Parameter Store in %s: invalid parameters: %s",
				ecsSecretsPrefix, region, strings.Join(out.InvalidParameters, ","))
		}
		for _, p := range out.Parameters {
			for _, n := range batch {
				if n == p.Name || n == p.ARN {
					values[n] = p.Value
				}
			}
		}
	}
	return nil
}

// callErrorText is an AWS error as ECS quotes it: "CODE: message".
func callErrorText(err error) string {
	var ce *CallError
	if !errors.As(err, &ce) {
		return err.Error()
	}
	var v struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	_ = json.Unmarshal([]byte(ce.Body), &v)
	if v.Type == "" {
		return ce.Error()
	}
	return v.Type + ": " + v.Message
}
