package agent

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

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

// registryRef is an image name that names a registry host.
type registryRef struct {
	host, rest      string // HOST and REPO[:TAG|@DIGEST]
	account, region string // of an ECR host in AWS's form, else ""
}

// parseRegistryRef reads image; ok is false for a name with no registry
// host (Docker Hub's or a local one), which is never wharf's ECR.
func parseRegistryRef(image string) (registryRef, bool) {
	host, rest, ok := strings.Cut(image, "/")
	if !ok || rest == "" || !strings.ContainsAny(host, ".:") && host != "localhost" {
		return registryRef{}, false
	}
	r := registryRef{host: host, rest: rest}
	if m := ecrHost.FindStringSubmatch(host); m != nil {
		r.account, r.region = m[1], m[2]
	}
	return r, true
}

// pullECR is runner.Config.PullImage.
func (a *Agent) pullECR(ctx context.Context, as agentproto.Assignment, image string) (bool, error) {
	ref, ok := parseRegistryRef(image)
	if !ok {
		return false, nil // a Docker Hub or local name
	}
	host, rest := ref.host, ref.rest
	region := regionOf(as.TaskARN)
	registryIDs := []string{}
	inAWS := ref.account != ""
	if inAWS {
		region, registryIDs = ref.region, []string{ref.account}
	}
	cred, err := a.creds.executionCredentials(ctx, as)
	if err != nil {
		if !inAWS {
			return false, nil
		}
		return true, fmt.Errorf("pull image manifest has been retried 1 time(s): unable to get execution role credentials: %w", err)
	}
	tok, err := a.ecrToken(ctx, cred, region, registryIDs)
	if err != nil || tok == nil {
		if !inAWS || err == nil {
			return false, nil // not wharf's registry, as far as the agent can tell
		}
		return true, fmt.Errorf("pull image manifest has been retried 1 time(s): failed to get an ECR authorization token: %w", err)
	}
	if !inAWS && host != tok.host {
		return false, nil
	}
	local, alias := tok.host+"/"+rest, ""
	if inAWS && !strings.Contains(rest, "@") {
		alias = image // the name the container is created under
	}
	err = a.eng.PullAuth(ctx, local, tok.user, tok.pass, alias)
	if err != nil && strings.Contains(err.Error(), "unauthorized") {
		// A cached token the control plane no longer knows (its data dir
		// was reset): once more with a new one.
		a.forgetECRToken(cred, region, registryIDs)
		if tok, err = a.ecrToken(ctx, cred, region, registryIDs); err == nil && tok != nil {
			err = a.eng.PullAuth(ctx, local, tok.user, tok.pass, alias)
		}
	}
	if err != nil {
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

// ecrAuth is a registry login from GetAuthorizationToken.
type ecrAuth struct {
	host, user, pass string
	expires          time.Time
}

// ecrTokens caches logins per region and credential until shortly before
// they expire, so that task starts do not each mint a token.
type ecrTokens struct {
	mu sync.Mutex
	m  map[string]*ecrAuth
}

var tokenCache = &ecrTokens{m: map[string]*ecrAuth{}}

// ecrTokenKey names a login: the control plane too, as agents of several
// wharfs may share a process (tests).
func (a *Agent) ecrTokenKey(cred agentproto.Credentials, region string, registryIDs []string) string {
	return a.cl.base + "\x00" + region + "\x00" + cred.AccessKeyID + "\x00" + strings.Join(registryIDs, ",")
}

func (a *Agent) forgetECRToken(cred agentproto.Credentials, region string, registryIDs []string) {
	tokenCache.mu.Lock()
	delete(tokenCache.m, a.ecrTokenKey(cred, region, registryIDs))
	tokenCache.mu.Unlock()
}

// ecrToken is a login to wharf's registry for cred in region (nil when
// the control plane has none for registryIDs).
func (a *Agent) ecrToken(ctx context.Context, cred agentproto.Credentials, region string, registryIDs []string) (*ecrAuth, error) {
	key := a.ecrTokenKey(cred, region, registryIDs)
	tokenCache.mu.Lock()
	tok := tokenCache.m[key]
	tokenCache.mu.Unlock()
	if tok != nil && time.Until(tok.expires) > 10*time.Minute {
		return tok, nil
	}
	var out struct {
		AuthorizationData []struct {
			AuthorizationToken string  `json:"authorizationToken"`
			ProxyEndpoint      string  `json:"proxyEndpoint"`
			ExpiresAt          float64 `json:"expiresAt"`
		} `json:"authorizationData"`
	}
	in := map[string]any{}
	if len(registryIDs) > 0 {
		in["registryIds"] = registryIDs
	}
	if err := a.cl.callAs(ctx, cred, region, "ecr", "AmazonEC2ContainerRegistry_V20150921", "GetAuthorizationToken", in, &out); err != nil {
		return nil, errors.New(callErrorText(err))
	}
	if len(out.AuthorizationData) == 0 {
		return nil, nil
	}
	ad := out.AuthorizationData[0]
	u, err := url.Parse(ad.ProxyEndpoint)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("the control plane answered an unusable ECR proxyEndpoint %q", ad.ProxyEndpoint)
	}
	raw, err := base64.StdEncoding.DecodeString(ad.AuthorizationToken)
	user, pass, ok := strings.Cut(string(raw), ":")
	if err != nil || !ok {
		return nil, errors.New("the control plane answered an unusable ECR authorization token")
	}
	tok = &ecrAuth{host: u.Host, user: user, pass: pass, expires: time.Unix(int64(ad.ExpiresAt), 0)}
	tokenCache.mu.Lock()
	tokenCache.m[key] = tok
	tokenCache.mu.Unlock()
	return tok, nil
}
