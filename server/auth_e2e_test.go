package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/smithy-go"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/internal/wharftest"
)

// apiCode is the AWS error code of err ("" if none).
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestAuthOn runs wharf with --auth and calls it through aws-sdk-go-v2 as
// a user would: the root keys of DATA_DIR/credentials work; a wrong
// secret, an unknown key and an unsigned call are refused with each
// protocol's codes; the browser's ways in and the agent endpoints without
// the agent's secret are closed.
func TestAuthOn(t *testing.T) {
	w := wharftest.StartWith(t, wharftest.Options{Auth: true})
	ctx := context.Background()
	if st, err := os.Stat(w.CredentialsFile()); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v", st, err)
	}
	root := w.Config("eu-west-1")
	if _, err := ecs.NewFromConfig(root).ListClusters(ctx, &ecs.ListClustersInput{}); err != nil {
		t.Fatalf("root keys: %v", err)
	}
	if _, err := elbv2.NewFromConfig(root).DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{}); err != nil {
		t.Fatalf("root keys, Query: %v", err)
	}
	akid, _ := w.RootKeys()
	with := func(key, secret string) aws.Config {
		c := root.Copy()
		c.Credentials = credentials.NewStaticCredentialsProvider(key, secret, "")
		return c
	}
	for _, tc := range []struct {
		name      string
		cfg       aws.Config
		json, qry string
	}{
		{"wrong secret", with(akid, "not-the-secret"), "InvalidSignatureException", "SignatureDoesNotMatch"},
		{"unknown key", with("AKIAUNKNOWNKEY00000", "x"), "UnrecognizedClientException", "InvalidClientTokenId"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ecs.NewFromConfig(tc.cfg).ListClusters(ctx, &ecs.ListClustersInput{})
			if got := apiCode(err); got != tc.json {
				t.Errorf("ECS: %v, want %s", err, tc.json)
			}
			_, err = elbv2.NewFromConfig(tc.cfg).DescribeLoadBalancers(ctx, &elbv2.DescribeLoadBalancersInput{})
			if got := apiCode(err); got != tc.qry {
				t.Errorf("ELBv2: %v, want %s", err, tc.qry)
			}
		})
	}
	raw := func(path, host string, body string, hdr ...string) int {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, w.URL()+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if host != "" {
			req.Host = host
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	t.Run("unsigned", func(t *testing.T) {
		status, m, _ := call(t, w.URL(), ecsTarget+"ListClusters", `{}`)
		if status != 400 || m["__type"] != "MissingAuthenticationTokenException" {
			t.Fatalf("JSON: %d %v", status, m)
		}
		form := "Action=DescribeLoadBalancers&Version=2015-12-01"
		if got := raw("/", "", form, "Content-Type", "application/x-www-form-urlencoded"); got != 403 {
			t.Fatalf("Query: %d, want 403", got)
		}
	})
	t.Run("wrong host", func(t *testing.T) {
		if got := raw("/", "evil.example:8555", `{}`, "Content-Type", "application/x-amz-json-1.1", "X-Amz-Target", ecsTarget+"ListClusters"); got != 403 {
			t.Fatalf("status %d, want 403", got)
		}
	})
	t.Run("cross-site origin", func(t *testing.T) {
		form := "Action=DeleteLoadBalancer&Version=2015-12-01&LoadBalancerArn=x"
		if got := raw("/", "", form, "Content-Type", "application/x-www-form-urlencoded", "Origin", "http://evil.example"); got != 403 {
			t.Fatalf("status %d, want 403", got)
		}
	})
	t.Run("agent endpoints need the agent's secret", func(t *testing.T) {
		for _, p := range []string{agentproto.PollPath, agentproto.CredentialsPath, agentproto.RegisterPath} {
			if got := raw(p, "", `{"nodeId":"node-1"}`, "Content-Type", "application/json"); got != 401 {
				t.Errorf("%s without a secret: %d, want 401", p, got)
			}
			if got := raw(p, "", `{"nodeId":"node-1"}`, "Content-Type", "application/json", "Authorization", "Bearer guessed"); got != 401 {
				t.Errorf("%s with a wrong secret: %d, want 401", p, got)
			}
		}
		if got := raw(agentproto.SecretPath, "", `{"nodeId":"node-1"}`, "Content-Type", "application/json"); got != 400 {
			t.Errorf("an unsigned secret request: %d, want 400 (MissingAuthenticationTokenException)", got)
		}
	})
}

// TestAuthCLI: the aws CLI (botocore's signer) works with the root
// credentials file and is refused with made-up keys.
func TestAuthCLI(t *testing.T) {
	awsCLI, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("no aws CLI")
	}
	w := wharftest.StartWith(t, wharftest.Options{Auth: true})
	run := func(env []string, args ...string) (string, error) {
		cmd := exec.Command(awsCLI, append([]string{"--endpoint-url", w.URL(), "--region", "eu-west-1", "--output", "json"}, args...)...)
		cmd.Env = append(append(os.Environ()[:0:0], "HOME="+t.TempDir(), "PATH="+os.Getenv("PATH")), env...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		err := cmd.Run()
		return out.String(), err
	}
	creds := "AWS_SHARED_CREDENTIALS_FILE=" + w.CredentialsFile()
	if out, err := run([]string{creds}, "ecs", "create-cluster", "--cluster-name", "cli"); err != nil {
		t.Fatalf("root credentials file: %v: %s", err, out)
	}
	if out, err := run([]string{creds, "AWS_PROFILE=wharf"}, "elbv2", "describe-load-balancers"); err != nil {
		t.Fatalf("profile wharf, Query: %v: %s", err, out)
	}
	// A path with characters the canonical query must encode.
	if out, err := run([]string{creds}, "ecs", "list-tasks", "--cluster", "cli", "--started-by", "a b/c+d"); err != nil {
		t.Fatalf("encoded parameters: %v: %s", err, out)
	}
	bogus := []string{"AWS_ACCESS_KEY_ID=AKIAUNKNOWNKEY00000", "AWS_SECRET_ACCESS_KEY=x"}
	if out, err := run(bogus, "ecs", "list-clusters"); err == nil || !strings.Contains(out, "UnrecognizedClientException") {
		t.Fatalf("unknown key: %v: %s", err, out)
	}
	akid, _ := w.RootKeys()
	wrong := []string{"AWS_ACCESS_KEY_ID=" + akid, "AWS_SECRET_ACCESS_KEY=wrong"}
	if out, err := run(wrong, "elbv2", "describe-load-balancers"); err == nil || !strings.Contains(out, "SignatureDoesNotMatch") {
		t.Fatalf("wrong secret, Query: %v: %s", err, out)
	}
}

// TestAuditTrail: calls (a refused one included) are read back through
// CloudTrail's LookupEvents with the aws CLI, filtered by access key.
func TestAuditTrail(t *testing.T) {
	awsCLI, err := exec.LookPath("aws")
	if err != nil {
		t.Skip("no aws CLI")
	}
	w := wharftest.StartWith(t, wharftest.Options{Auth: true})
	ctx := context.Background()
	root := w.Config("eu-west-1")
	if _, err := ecs.NewFromConfig(root).CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("audited")}); err != nil {
		t.Fatal(err)
	}
	bad := root.Copy()
	bad.Credentials = credentials.NewStaticCredentialsProvider("AKIAINTRUDER0000000", "x", "")
	_, _ = ecs.NewFromConfig(bad).DeleteCluster(ctx, &ecs.DeleteClusterInput{Cluster: aws.String("audited")})

	lookup := func(key, value string) []map[string]any {
		t.Helper()
		cmd := exec.Command(awsCLI, "--endpoint-url", w.URL(), "--region", "eu-west-1", "--output", "json", "cloudtrail", "lookup-events",
			"--lookup-attributes", "AttributeKey="+key+",AttributeValue="+value)
		cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH"), "AWS_SHARED_CREDENTIALS_FILE=" + w.CredentialsFile()}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("lookup-events: %v: %s%s", err, out, stderr.Bytes())
		}
		var resp struct{ Events []map[string]any }
		if err := json.Unmarshal(out, &resp); err != nil {
			t.Fatal(err)
		}
		return resp.Events
	}
	akid, _ := w.RootKeys()
	evs := lookup("AccessKeyId", akid)
	if len(evs) != 1 || evs[0]["EventName"] != "CreateCluster" || evs[0]["Username"] != "root" || evs[0]["EventSource"] != "ecs.amazonaws.com" {
		t.Fatalf("root's events: %v", evs)
	}
	var detail map[string]any
	_ = json.Unmarshal([]byte(evs[0]["CloudTrailEvent"].(string)), &detail)
	if detail["sourceIPAddress"] != "127.0.0.1" || detail["userIdentity"].(map[string]any)["arn"] != "arn:aws:iam::000000000000:root" {
		t.Fatalf("CloudTrailEvent %v", detail)
	}
	evs = lookup("AccessKeyId", "AKIAINTRUDER0000000")
	if len(evs) != 1 || evs[0]["EventName"] != "DeleteCluster" || !strings.Contains(evs[0]["CloudTrailEvent"].(string), `"errorCode":"UnrecognizedClientException"`) {
		t.Fatalf("the intruder's attempt: %v", evs)
	}
}
