package agent

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/wharfhq/wharf/agentproto"
	"github.com/wharfhq/wharf/api/ecstypes"
)

// fakeIPTables is the nat table as iptables would keep it: chains of
// rules, each rule its arguments joined.
type fakeIPTables struct {
	chains map[string][]string
	calls  int
}

func newFakeIPTables() *fakeIPTables {
	return &fakeIPTables{chains: map[string][]string{"PREROUTING": {"-m addrtype --dst-type LOCAL -j DOCKER"}, "OUTPUT": nil, "DOCKER": nil}}
}

func (f *fakeIPTables) run(_ context.Context, args ...string) error {
	f.calls++
	op, chain := args[0], args[1]
	rules, exists := f.chains[chain]
	rest := args[2:]
	if op == "-I" {
		rest = rest[1:] // the position
	}
	rule := strings.Join(rest, " ")
	fail := errors.New("iptables: exit status 1")
	switch {
	case op == "-N" && exists, op != "-N" && !exists:
		return fail
	case op == "-N":
		f.chains[chain] = nil
	case op == "-L":
	case op == "-C" && !slices.Contains(rules, rule):
		return fail
	case op == "-C":
	case op == "-A":
		f.chains[chain] = append(rules, rule)
	case op == "-I":
		f.chains[chain] = append([]string{rule}, rules...)
	case op == "-D":
		i := slices.Index(rules, rule)
		if i < 0 {
			return fail
		}
		f.chains[chain] = slices.Delete(rules, i, i+1)
	case op == "-F":
		f.chains[chain] = nil
	case op == "-X":
		delete(f.chains, chain)
	default:
		return errors.New("fake iptables: unexpected " + strings.Join(args, " "))
	}
	return nil
}

func TestNATRules(t *testing.T) {
	ctx := context.Background()
	ipt := newFakeIPTables()
	n := newNAT("172.17.0.1")
	n.run = ipt.run
	jumpRule := "-d 169.254.170.2/32 -p tcp -m tcp --dport 80 -j WHARF-CREDENTIALS"
	want := func(t *testing.T, dnatTo string) {
		t.Helper()
		if got := ipt.chains[natChain]; len(got) != 1 || !strings.HasSuffix(got[0], "-j DNAT --to-destination "+dnatTo) {
			t.Fatalf("%s = %q, want one DNAT to %s", natChain, got, dnatTo)
		}
		for _, hook := range natHooks {
			if got := ipt.chains[hook]; len(got) == 0 || got[0] != jumpRule || slices.Index(got[1:], jumpRule) >= 0 {
				t.Fatalf("%s = %q, want the jump once, first", hook, got)
			}
		}
	}
	for range 2 {
		if err := n.ensure(ctx); err != nil {
			t.Fatal(err)
		}
		want(t, "172.17.0.1:51679")
	}
	// A chain left pointing elsewhere (another bridge) is rewritten.
	other := newNAT("10.9.0.1")
	other.run = ipt.run
	if err := other.ensure(ctx); err != nil {
		t.Fatal(err)
	}
	want(t, "10.9.0.1:51679")
	// Duplicated jumps (two agents racing) all go on remove.
	ipt.chains["OUTPUT"] = append(ipt.chains["OUTPUT"], jumpRule)
	for range 2 {
		if err := n.remove(ctx); err != nil {
			t.Fatal(err)
		}
		if _, ok := ipt.chains[natChain]; ok || slices.Contains(ipt.chains["OUTPUT"], jumpRule) || slices.Contains(ipt.chains["PREROUTING"], jumpRule) {
			t.Fatalf("after remove: %v", ipt.chains)
		}
	}
	if got := ipt.chains["PREROUTING"]; len(got) != 1 {
		t.Fatalf("remove touched Docker's rule: %q", got)
	}
}

func TestNATEnsureReportsFailure(t *testing.T) {
	n := newNAT("172.17.0.1")
	n.run = func(context.Context, ...string) error { return errors.New("iptables: not found") }
	if err := n.ensure(context.Background()); err == nil {
		t.Fatal("ensure hid iptables' failure")
	}
}

func testCredentialsAgent(t *testing.T, node string) *credentialsAgent {
	t.Helper()
	a := &Agent{cfg: Config{DataDir: t.TempDir()}, id: &identity{NodeID: node}, tasks: map[string]*taskRun{}}
	c, err := newCredentialsAgent(a)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestCredentialsIDs(t *testing.T) {
	c := testCredentialsAgent(t, "node-a")
	id := c.idFor("arn:aws:ecs:us-east-1:000000000000:task/c/1")
	if len(id) != 36 || id[14] != '4' || idTag(id) != c.tag || id == c.idFor("arn:aws:ecs:us-east-1:000000000000:task/c/2") {
		t.Fatalf("id %s (tag %s)", id, c.tag)
	}
	// The same data dir gives the same IDs after a restart; another agent's differ.
	again, err := newCredentialsAgent(c.a)
	if err != nil || again.idFor("arn:aws:ecs:us-east-1:000000000000:task/c/1") != id {
		t.Fatalf("after a restart: %v", err)
	}
	if st, err := os.Stat(filepath.Join(c.a.cfg.DataDir, "credentials.key")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("credentials.key: %v %v", st, err)
	}
	if other := testCredentialsAgent(t, "node-b"); idTag(other.idFor("x")) == c.tag {
		t.Fatal("two nodes share a tag")
	}
	for _, bad := range []string{"", "short", "zzzzzzzz-1111"} {
		if idTag(bad) != "" {
			t.Errorf("idTag(%q) = %q", bad, idTag(bad))
		}
	}
}

func TestCredentialsEndpointErrors(t *testing.T) {
	c := testCredentialsAgent(t, "node-a")
	tests := []struct {
		name, path string
		status     int
		code       string
	}{
		{"no id", "/v2/credentials", 400, "NoIdInRequest"},
		{"no id v1", "/v1/credentials", 400, "NoIdInRequest"},
		{"unknown id of mine", "/v2/credentials/" + c.idFor("arn:aws:ecs:us-east-1:000000000000:task/c/9"), 400, "InvalidIdInRequest"},
		{"id of an agent that is gone", "/v2/credentials/ffffffff-0000-4000-8000-000000000000", 400, "InvalidIdInRequest"},
		{"not an id", "/v2/credentials/nonsense", 400, "InvalidIdInRequest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			c.serveHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
			var e struct{ Code, Message string }
			_ = json.Unmarshal(rec.Body.Bytes(), &e)
			if rec.Code != tt.status || e.Code != tt.code {
				t.Fatalf("got %d %s, want %d %s", rec.Code, rec.Body, tt.status, tt.code)
			}
		})
	}
	rec := httptest.NewRecorder()
	c.serveHTTP(rec, httptest.NewRequest(http.MethodGet, "/v4/other", nil))
	if rec.Code != http.StatusNotFound {
		t.Fatalf("other path: %d", rec.Code)
	}
}

func TestRoleARN(t *testing.T) {
	as := agentproto.Assignment{Definition: ecstypes.TaskDefinition{TaskRoleArn: new("def-task"), ExecutionRoleArn: new("def-exec")}}
	if roleARN(as, agentproto.RoleTask) != "def-task" || roleARN(as, agentproto.RoleExecution) != "def-exec" {
		t.Fatal("definition roles")
	}
	as.Overrides = &ecstypes.TaskOverride{TaskRoleArn: new("over-task")}
	if roleARN(as, agentproto.RoleTask) != "over-task" || roleARN(as, agentproto.RoleExecution) != "def-exec" {
		t.Fatal("overridden roles")
	}
}
