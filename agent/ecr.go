package agent

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"

	"github.com/wharfhq/wharf/agentproto"
)

// Images from wharf's ECR: a task definition written for AWS names
// ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPO:TAG; one written for wharf may
// name the repositoryUri wharf returned (HOST:PORT/REPO:TAG). Either is
// pulled from wharf's registry at every task start, as on Fargate (an
// unchanged digest downloads nothing), with a token the execution role
// gets from GetAuthorizationToken; the answer's proxyEndpoint is where the
// registry is, so the agent needs no address but the control plane's.

// ecrHost is the registry host of ECR in AWS.
var ecrHost = regexp.MustCompile(`^([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$`)

// pullECR is runner.Config.PullImage.
func (a *Agent) pullECR(ctx context.Context, as agentproto.Assignment, image string) (bool, error) {
	host, rest, ok := strings.Cut(image, "/")
	if !ok || !strings.ContainsAny(host, ".:") {
		return false, nil // a Docker Hub or local name
	}
	region := regionOf(as.TaskARN)
	registryIDs := []string{}
	aws := ecrHost.FindStringSubmatch(host)
	if aws != nil {
		region, registryIDs = aws[2], []string{aws[1]}
	}
	cred, err := a.creds.executionCredentials(ctx, as)
	if err != nil {
		if aws == nil {
			return false, nil
		}
		return true, fmt.Errorf("pull image manifest has been retried 1 time(s): unable to get execution role credentials: %w", err)
	}
	var out struct {
		AuthorizationData []struct {
			AuthorizationToken string `json:"authorizationToken"`
			ProxyEndpoint      string `json:"proxyEndpoint"`
		} `json:"authorizationData"`
	}
	in := map[string]any{}
	if len(registryIDs) > 0 {
		in["registryIds"] = registryIDs
	}
	err = a.cl.callAs(ctx, cred, region, "ecr", "AmazonEC2ContainerRegistry_V20150921", "GetAuthorizationToken", in, &out)
	if err != nil || len(out.AuthorizationData) == 0 {
		if aws == nil {
			return false, nil // not wharf's registry, as far as the agent can tell
		}
		if err == nil {
			return false, nil // another account's registry
		}
		return true, fmt.Errorf("pull image manifest has been retried 1 time(s): failed to get an ECR authorization token: %s", callErrorText(err))
	}
	ad := out.AuthorizationData[0]
	u, err := url.Parse(ad.ProxyEndpoint)
	if err != nil || u.Host == "" {
		return true, fmt.Errorf("the control plane answered an unusable ECR proxyEndpoint %q", ad.ProxyEndpoint)
	}
	if aws == nil && host != u.Host {
		return false, nil
	}
	raw, err := base64.StdEncoding.DecodeString(ad.AuthorizationToken)
	user, pass, ok := strings.Cut(string(raw), ":")
	if err != nil || !ok {
		return true, errors.New("the control plane answered an unusable ECR authorization token")
	}
	local, alias := u.Host+"/"+rest, ""
	if aws != nil && !strings.Contains(rest, "@") {
		alias = image // the name the container is created under
	}
	if err := a.eng.PullAuth(ctx, local, user, pass, alias); err != nil {
		if ctx.Err() != nil {
			return true, ctx.Err()
		}
		if msg := err.Error(); strings.Contains(msg, "not found") || strings.Contains(msg, "manifest unknown") || strings.Contains(msg, "name unknown") {
			return true, fmt.Errorf("pull image manifest has been retried 1 time(s): failed to resolve ref %s: %s: not found", image, image)
		}
		return true, fmt.Errorf("pull image manifest has been retried 1 time(s): failed to resolve ref %s: %w", image, err)
	}
	return true, nil
}
