package agent

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
	"github.com/wharfhq/wharf/model"
)

// client calls the control plane: ECS operations over AWS JSON 1.1 and the
// poll endpoint.
type client struct {
	base string
	http *http.Client
	// key signs the agent's own AWS calls (a root or IAM key; "" with auth
	// off is a placeholder any key works as).
	key agentproto.Credentials
	// secret is the agent's own secret, issued at its first registration
	// and sent as a bearer token to the agent endpoints (secret.go).
	secret func() string
}

// callECS calls an ECS operation in region.
func (c *client) callECS(ctx context.Context, region, op string, in, out any) error {
	return c.call(ctx, region, "ecs", ecstypes.ServiceTarget, op, in, out)
}

// call calls an operation of one of wharf's AWS JSON 1.1 services (target
// is the X-Amz-Target prefix, signingName the SigV4 service) in region. The
// credential scope carries the region so the control plane files the call
// under it.
func (c *client) call(ctx context.Context, region, signingName, target, op string, in, out any) error {
	return c.callAs(ctx, c.key, region, signingName, target, op, in, out)
}

// callAs is call signed as cred says: with its access key and session
// token (an execution role's credentials, so the call is attributed to
// that role).
func (c *client) callAs(ctx context.Context, cred agentproto.Credentials, region, signingName, target, op string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", target+"."+op)
	if err := sign(ctx, req, body, cred, region, signingName); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return fmt.Errorf("%s: read answer: %w", op, err)
	}
	if resp.StatusCode != http.StatusOK {
		return &CallError{Op: op, Status: resp.StatusCode, Body: string(bytes.TrimSpace(b))}
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// sign signs req (with body) as cred, for signingName in region, as the
// SDKs do.
func sign(ctx context.Context, req *http.Request, body []byte, cred agentproto.Credentials, region, signingName string) error {
	if cred.AccessKeyID == "" {
		cred = agentproto.Credentials{AccessKeyID: "wharf-agent", SecretAccessKey: "auth-off"}
	}
	sum := sha256.Sum256(body)
	return v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: cred.AccessKeyID, SecretAccessKey: cred.SecretAccessKey, SessionToken: cred.Token},
		req, hex.EncodeToString(sum[:]), signingName, region, time.Now())
}

// httpError is an agent endpoint's refusal; a 401 wraps errUnauthorized.
func httpError(op string, resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	err := fmt.Errorf("%s: %s: %s", op, resp.Status, bytes.TrimSpace(b))
	if resp.StatusCode == http.StatusUnauthorized {
		return fmt.Errorf("%w (%w)", err, errUnauthorized)
	}
	return err
}

// bearer adds the agent's secret to a request to an agent endpoint.
func (c *client) bearer(req *http.Request) {
	if c.secret != nil {
		if s := c.secret(); s != "" {
			req.Header.Set("Authorization", "Bearer "+s)
		}
	}
}

// CallError is a control plane call answered with an error.
type CallError struct {
	Op     string
	Status int
	Body   string // the AWS error JSON: {"__type": CODE, "message": …}
}

func (e *CallError) Error() string { return fmt.Sprintf("%s: HTTP %d: %s", e.Op, e.Status, e.Body) }

// Code is the AWS error code of the answer ("" if it had none).
func (e *CallError) Code() string {
	var v struct {
		Type string `json:"__type"`
	}
	_ = json.Unmarshal([]byte(e.Body), &v)
	return v.Type
}

func (c *client) poll(ctx context.Context, req agentproto.PollRequest) (*agentproto.PollResponse, error) {
	var out agentproto.PollResponse
	if err := c.postJSON(ctx, "poll", agentproto.PollPath, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// postJSON posts in as JSON to the control plane's path and decodes a 200
// answer into out; op names the call in errors.
func (c *client) postJSON(ctx context.Context, op, path string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	hreq.Header.Set("Content-Type", "application/json")
	c.bearer(hreq)
	resp, err := c.http.Do(hreq)
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return httpError(op, resp)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return nil
}

// regionOf is the region an ECS ARN lives in.
func regionOf(arn string) string {
	if a, ok := model.ParseARN(arn); ok {
		return a.Region
	}
	return "us-east-1"
}

// register is a bulk registration (agentproto.RegisterPath).
func (c *client) register(ctx context.Context, req agentproto.RegisterRequest) (*agentproto.RegisterResponse, error) {
	var out agentproto.RegisterResponse
	if err := c.postJSON(ctx, "register", agentproto.RegisterPath, req, &out); err != nil {
		return nil, err
	}
	if len(out.Results) != len(req.Clusters) {
		return nil, fmt.Errorf("register: %d results for %d clusters", len(out.Results), len(req.Clusters))
	}
	return &out, nil
}
