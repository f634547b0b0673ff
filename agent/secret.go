package agent

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/wharfhq/wharf/agentproto"
)

// The agent's own secret: the control plane issues it once (to a request
// signed with the agent's keys) and the agent sends it as a bearer token on
// every call to the agent endpoints; it lives in agent.json (0600).

// errUnauthorized is an agent endpoint's 401: the secret is unknown there
// (the control plane's store was reset), so the agent asks for a new one.
var errUnauthorized = errors.New("the control plane does not know this agent's secret")

func (id *identity) secret() string {
	id.mu.Lock()
	defer id.mu.Unlock()
	return id.Secret
}

func (id *identity) setSecret(s string) error {
	id.mu.Lock()
	defer id.mu.Unlock()
	if id.Secret == s {
		return nil
	}
	id.Secret = s
	return id.save()
}

// ensureSecret gets the agent a secret when it has none.
func (a *Agent) ensureSecret(ctx context.Context) error {
	if a.id.secret() != "" {
		return nil
	}
	s, err := a.cl.issueSecret(ctx, a.id.NodeID)
	if err != nil {
		return err
	}
	a.cfg.Log.Info("agent: got its secret from the control plane", "node", a.id.NodeID)
	return a.id.setSecret(s)
}

// forgetSecretOn clears the secret after a 401, so the next attempt asks
// for a new one.
func (a *Agent) forgetSecretOn(err error) {
	if errors.Is(err, errUnauthorized) {
		_ = a.id.setSecret("")
	}
}

// issueSecret asks for the node's secret, signed with the agent's keys.
func (c *client) issueSecret(ctx context.Context, node string) (string, error) {
	body, _ := json.Marshal(agentproto.SecretRequest{NodeID: node})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+agentproto.SecretPath, bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	if err := sign(ctx, req, body, c.key, "us-east-1", "ecs"); err != nil {
		return "", fmt.Errorf("get the agent's secret: %w", err)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return "", fmt.Errorf("get the agent's secret: %w", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("get the agent's secret: HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(b))
	}
	var out agentproto.SecretResponse
	if err := json.Unmarshal(b, &out); err != nil || out.Secret == "" {
		return "", fmt.Errorf("get the agent's secret: answer %q", bytes.TrimSpace(b))
	}
	return out.Secret, nil
}

// pinnedTransport trusts exactly the certificate pin (nil: the default
// transport, for plain HTTP or a server the system trusts).
func pinnedTransport(pin []byte) http.RoundTripper {
	if len(pin) == 0 {
		return nil
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{
		MinVersion: tls.VersionTLS12,
		// The chain is not verified by name: the one certificate the
		// control plane serves is compared byte for byte instead.
		InsecureSkipVerify: true,
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 || !bytes.Equal(raw[0], pin) {
				return errors.New("the control plane's TLS certificate is not the one wharf serves")
			}
			return nil
		},
	}
	return t
}
