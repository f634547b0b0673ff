package elbv2_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wharfhq/wharf/internal/apitest"
	"github.com/wharfhq/wharf/internal/wharftest"
	"github.com/wharfhq/wharf/internal/wiretest"
)

const ns = "http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/"

// post sends a form-encoded Query call as an SDK would, but with any body.
func post(t *testing.T, endpoint, form string, hdr ...string) (int, string, http.Header) {
	t.Helper()
	return wiretest.PostForm(t, endpoint+"/", form, hdr...)
}

var errorRE = regexp.MustCompile(`^<ErrorResponse xmlns="` + regexp.QuoteMeta(ns) + `"><Error><Type>Sender</Type><Code>([A-Za-z]+)</Code><Message>[^<]+</Message></Error><RequestId>([0-9a-f-]{36})</RequestId></ErrorResponse>$`)

func TestQueryWireFormat(t *testing.T) {
	w := wharftest.Start(t)

	t.Run("result envelope", func(t *testing.T) {
		status, body, hdr := post(t, w.URL(), "Action=DescribeLoadBalancers&Version=2015-12-01")
		want := `<DescribeLoadBalancersResponse xmlns="` + ns + `"><DescribeLoadBalancersResult><LoadBalancers></LoadBalancers></DescribeLoadBalancersResult>` +
			`<ResponseMetadata><RequestId>` + hdr.Get("X-Amzn-RequestId") + `</RequestId></ResponseMetadata></DescribeLoadBalancersResponse>`
		if status != 200 || body != want || hdr.Get("Content-Type") != "text/xml" {
			t.Fatalf("%d %s\n%s", status, hdr.Get("Content-Type"), body)
		}
	})

	t.Run("flattened members in, nested members out", func(t *testing.T) {
		form := url.Values{"Action": {"CreateLoadBalancer"}, "Version": {"2015-12-01"}, "Name": {"wire"},
			"Subnets.member.1": {"subnet-a"}, "Subnets.member.2": {"subnet-b"},
			"Tags.member.1.Key": {"k"}, "Tags.member.1.Value": {"v"}}
		status, body, _ := post(t, w.URL(), form.Encode())
		var out struct {
			XMLName xml.Name `xml:"CreateLoadBalancerResponse"`
			LBs     []struct {
				ARN   string   `xml:"LoadBalancerArn"`
				Name  string   `xml:"LoadBalancerName"`
				State string   `xml:"State>Code"`
				Zones []string `xml:"AvailabilityZones>member>SubnetId"`
				At    string   `xml:"CreatedTime"`
			} `xml:"CreateLoadBalancerResult>LoadBalancers>member"`
			RequestID string `xml:"ResponseMetadata>RequestId"`
		}
		if err := xml.Unmarshal([]byte(body), &out); err != nil || status != 200 {
			t.Fatalf("%d %v\n%s", status, err, body)
		}
		lb := out.LBs[0]
		if len(out.LBs) != 1 || lb.Name != "wire" || lb.State != "active" || strings.Join(lb.Zones, ",") != "subnet-a,subnet-b" ||
			!regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`).MatchString(lb.At) || out.RequestID == "" {
			t.Fatalf("%+v\n%s", out, body)
		}
		status, body, _ = post(t, w.URL(), "Action=DescribeTags&Version=2015-12-01&ResourceArns.member.1="+url.QueryEscape(lb.ARN))
		if status != 200 || !strings.Contains(body, "<Tags><member><Key>k</Key><Value>v</Value></member></Tags>") {
			t.Fatalf("%d %s", status, body)
		}
	})

	t.Run("GET is refused", func(t *testing.T) {
		// A GET would let any web page change state through a link.
		resp, err := http.Get(w.URL() + "/?Action=DescribeLoadBalancers&Version=2015-12-01&Names.member.1=wire")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !strings.Contains(string(b), "<Code>InvalidQueryParameter</Code>") {
			t.Fatalf("%d %s", resp.StatusCode, b)
		}
	})

	t.Run("region from the signature", func(t *testing.T) {
		sig := "AWS4-HMAC-SHA256 Credential=AKID/20250101/eu-west-1/elasticloadbalancing/aws4_request, SignedHeaders=host, Signature=0"
		status, body, _ := post(t, w.URL(), "Action=CreateLoadBalancer&Version=2015-12-01&Name=eu", "Authorization", sig)
		if status != 200 || !strings.Contains(body, "arn:aws:elasticloadbalancing:eu-west-1:000000000000:loadbalancer/app/eu/") ||
			!strings.Contains(body, "eu-west-1.elb.localhost") {
			t.Fatalf("%d %s", status, body)
		}
		status, body, _ = post(t, w.URL(), "Action=DescribeLoadBalancers&Version=2015-12-01&Names.member.1=eu")
		if m := errorRE.FindStringSubmatch(body); status != 400 || m == nil || m[1] != "LoadBalancerNotFound" {
			t.Fatalf("us-east-1 sees eu-west-1's: %d %s", status, body)
		}
	})

	errs := []struct {
		name, form, code string
	}{
		{"not found", "Action=DescribeLoadBalancers&Version=2015-12-01&Names.member.1=nope", "LoadBalancerNotFound"},
		{"missing required", "Action=CreateLoadBalancer&Version=2015-12-01", "ValidationError"},
		{"bad enum", "Action=CreateLoadBalancer&Version=2015-12-01&Name=x&Scheme=sideways", "ValidationError"},
		{"bad integer", "Action=DescribeLoadBalancers&Version=2015-12-01&PageSize=many", "ValidationError"},
		{"unknown action", "Action=MakeCoffee&Version=2015-12-01", "InvalidAction"},
		{"known action not served", "Action=DescribeSSLPolicies&Version=2015-12-01", "InvalidAction"},
		{"list position out of bounds", "Action=DescribeLoadBalancers&Version=2015-12-01&Names.member.4294967297=x", "ValidationError"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			status, body, hdr := post(t, w.URL(), tc.form)
			m := errorRE.FindStringSubmatch(body)
			if status != 400 || m == nil || m[1] != tc.code || m[2] != hdr.Get("X-Amzn-RequestId") {
				t.Fatalf("%d %s", status, body)
			}
		})
	}
}

// TestAWSCLI drives ELBv2 with the unchanged aws CLI v2.
func TestAWSCLI(t *testing.T) {
	const cli = "/usr/bin/aws"
	if _, err := os.Stat(cli); err != nil {
		t.Skipf("no aws CLI v2 at %s", cli)
	}
	w := wharftest.Start(t)
	home := t.TempDir()
	aws := func(args ...string) (map[string]any, string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, cli, append([]string{"--endpoint-url", w.URL(), "--region", "us-east-1", "--output", "json", "elbv2"}, args...)...)
		cmd.Env = []string{"HOME=" + home, "PATH=/usr/bin:/bin", "AWS_ACCESS_KEY_ID=any", "AWS_SECRET_ACCESS_KEY=any",
			"AWS_EC2_METADATA_DISABLED=true", "AWS_PAGER=", "AWS_CONFIG_FILE=" + home + "/config", "AWS_SHARED_CREDENTIALS_FILE=" + home + "/credentials"}
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		out := map[string]any{}
		if stdout.Len() > 0 {
			if jerr := json.Unmarshal(stdout.Bytes(), &out); jerr != nil {
				t.Fatalf("aws %v: output is not JSON: %s", args, stdout.String())
			}
		}
		return out, stderr.String(), err
	}
	run := func(args ...string) map[string]any {
		t.Helper()
		out, stderr, err := aws(args...)
		if err != nil {
			t.Fatalf("aws elbv2 %s: %v\n%s", strings.Join(args, " "), err, stderr)
		}
		return out
	}
	first := func(out map[string]any, list, key string) string {
		t.Helper()
		items, _ := out[list].([]any)
		if len(items) == 0 {
			t.Fatalf("no %s in %v", list, out)
		}
		return fmt.Sprint(items[0].(map[string]any)[key])
	}

	lb := first(run("create-load-balancer", "--name", "cli", "--subnets", "subnet-a", "subnet-b", "--tags", "Key=team,Value=web"), "LoadBalancers", "LoadBalancerArn")
	tg := first(run("create-target-group", "--name", "cli-tg", "--protocol", "HTTP", "--port", "80", "--target-type", "ip",
		"--health-check-path", "/health", "--matcher", "HttpCode=200-299"), "TargetGroups", "TargetGroupArn")
	run("register-targets", "--target-group-arn", tg, "--targets", "Id=127.0.0.1,Port=9")
	port := fmt.Sprint(apitest.FreePort(t))
	l := first(run("create-listener", "--load-balancer-arn", lb, "--protocol", "HTTP", "--port", port,
		"--default-actions", "Type=forward,TargetGroupArn="+tg), "Listeners", "ListenerArn")
	run("create-rule", "--listener-arn", l, "--priority", "5", "--conditions", "Field=path-pattern,Values=/api/*",
		"--actions", "Type=fixed-response,FixedResponseConfig={StatusCode=200,ContentType=text/plain,MessageBody=hi}")
	if n := len(run("describe-rules", "--listener-arn", l)["Rules"].([]any)); n != 2 {
		t.Fatalf("%d rules", n)
	}
	if state := first(run("describe-target-health", "--target-group-arn", tg), "TargetHealthDescriptions", "TargetHealth"); !strings.Contains(state, "State:") {
		t.Fatalf("target health %s", state)
	}
	tags := run("describe-tags", "--resource-arns", lb)
	if !strings.Contains(fmt.Sprint(tags), "team") {
		t.Fatalf("tags %v", tags)
	}
	_, stderr, err := aws("describe-load-balancers", "--names", "nope")
	if err == nil || !strings.Contains(stderr, "LoadBalancerNotFound") {
		t.Fatalf("describe a missing load balancer: %v %s", err, stderr)
	}
	run("delete-load-balancer", "--load-balancer-arn", lb)
}
