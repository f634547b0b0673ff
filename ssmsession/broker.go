package ssmsession

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// StreamPath is where the Broker serves data channels; a session's
// streamUrl is ws://HOST + StreamPath + sessionId.
const StreamPath = "/_wharf/ecs-exec/v1/data-channel/"

// Target is what one session runs, and where.
type Target struct {
	TaskARN, Cluster string
	NodeID           string // the agent host the task runs on
	Container        string // the container's name in the task
	RuntimeID        string // its Docker id
	Cmd              []string
	Interactive      bool
	// Transcript, when set, opens where the session's output is logged
	// (the cluster's executeCommandConfiguration); Close flushes it.
	Transcript func(sessionID string) (io.WriteCloser, error)
}

// Starter runs a target's command with a terminal of the given size. The
// local agent provides it; in a fleet it is the relay to the task's host.
type Starter func(ctx context.Context, t Target, rows, cols uint) (Process, error)

// Grant is what ExecuteCommand hands out for one session.
type Grant struct {
	SessionID string
	Token     string
}

// Broker holds the sessions ExecuteCommand granted and serves their data
// channels. A token opens its own session once: it is bound to that
// session id (and so to one task and container) and spent on first use.
type Broker struct {
	log *slog.Logger
	// TokenTTL is how long a granted session waits for its client.
	TokenTTL time.Duration

	mu      sync.Mutex
	starts  map[string]Starter // by agent node id
	pending map[string]grant   // by session id
	running map[string]context.CancelFunc
	results map[string]Result // the last finished sessions, for tests and logs
	order   []string
	closed  bool
	// wrap, in tests, wraps each session's transport (to record it).
	wrap func(Transport) Transport

	base    context.Context // ends at Close: every session's and handshake's
	stopAll context.CancelFunc
	wg      sync.WaitGroup // the data channel handlers, waited for by Close
}

type grant struct {
	token   string
	target  Target
	expires time.Time
}

// NewBroker returns a broker; Use gives it the means to run commands.
func NewBroker(log *slog.Logger) *Broker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	base, stop := context.WithCancel(context.Background())
	return &Broker{log: log, TokenTTL: 2 * time.Minute, pending: map[string]grant{},
		running: map[string]context.CancelFunc{}, results: map[string]Result{}, starts: map[string]Starter{}, base: base, stopAll: stop}
}

// Use sets how commands start on one agent host: the embedded agent's
// exec for its own node; in a fleet, a relay per connected agent.
func (b *Broker) Use(node string, s Starter) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.starts[node] = s
}

// ErrNoAgent is a target on a host that no agent serves here (a control
// plane without an agent, or a task on another host's agent).
var ErrNoAgent = errors.New("ssmsession: no agent can run commands on the task's host")

// Open grants a session for t.
func (b *Broker) Open(t Target) (Grant, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.starts[t.NodeID] == nil || b.closed {
		return Grant{}, ErrNoAgent
	}
	now := time.Now()
	for id, g := range b.pending {
		if now.After(g.expires) {
			delete(b.pending, id)
		}
	}
	g := Grant{SessionID: "ecs-execute-command-" + randHex(9)[:17], Token: randToken()}
	b.pending[g.SessionID] = grant{token: g.Token, target: t, expires: now.Add(b.TokenTTL)}
	return g, nil
}

// Result is how a finished session ended; ok is false while it runs or
// when it is unknown.
func (b *Broker) Result(sessionID string) (Result, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r, ok := b.results[sessionID]
	return r, ok
}

// Close ends every running session (with channel_closed), refuses new
// ones and returns once their handlers are done.
func (b *Broker) Close() error {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.stopAll()
	b.wg.Wait()
	return nil
}

// redeem spends id's token: the one call that may open the session.
func (b *Broker) redeem(id, token string) (Target, Starter, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	g, ok := b.pending[id]
	if !ok || time.Now().After(g.expires) {
		return Target{}, nil, errors.New("session not found, expired or already opened")
	}
	if subtle.ConstantTimeCompare([]byte(g.token), []byte(token)) != 1 {
		return Target{}, nil, errors.New("token does not open this session")
	}
	delete(b.pending, id)
	start := b.starts[g.target.NodeID]
	if start == nil {
		return Target{}, nil, ErrNoAgent
	}
	return g.target, start, nil
}

// ServeHTTP accepts a client's WebSocket on StreamPath+sessionId, checks
// the token in its first message and runs the session.
func (b *Broker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, StreamPath)
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		http.Error(w, "wharf is stopping", http.StatusServiceUnavailable)
		return
	}
	b.wg.Add(1)
	b.mu.Unlock()
	defer b.wg.Done()
	// The clients are CLIs and SDKs, not browsers: no Origin to check; the
	// one-shot token authenticates.
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		b.log.Debug("ecs exec: websocket upgrade", "err", err)
		return
	}
	defer conn.CloseNow()
	conn.SetReadLimit(1 << 20)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	defer context.AfterFunc(b.base, cancel)()

	t, start, err := b.open(ctx, conn, id)
	if err != nil {
		b.log.Info("ecs exec: refused a data channel", "session", id, "err", err)
		_ = conn.Close(websocket.StatusPolicyViolation, "refused: "+err.Error())
		return
	}
	b.mu.Lock()
	b.running[id] = cancel
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.running, id)
		b.mu.Unlock()
	}()

	log := b.log.With("session", id, "task", t.TaskARN, "container", t.Container)
	var tr Transport = wsTransport{conn}
	if b.wrap != nil {
		tr = b.wrap(tr)
	}
	ch := &Channel{SessionID: id, Interactive: t.Interactive, T: tr, Log: log,
		Start: func(ctx context.Context, rows, cols uint) (Process, error) { return start(ctx, t, rows, cols) }}
	var transcript io.WriteCloser
	if t.Transcript != nil {
		if transcript, err = t.Transcript(id); err != nil {
			log.Warn("ecs exec: session log unavailable", "err", err)
		} else {
			ch.Transcript = transcript
		}
	}
	log.Info("ecs exec: session started", "command", strings.Join(t.Cmd, " "))
	res, err := ch.Run(ctx)
	if transcript != nil {
		if cerr := transcript.Close(); cerr != nil {
			log.Warn("ecs exec: write session log", "err", cerr)
		}
	}
	if err != nil {
		res.Reason = err.Error()
	}
	b.record(id, res)
	log.Info("ecs exec: session ended", "exitCode", res.ExitCode, "reason", res.Reason, "firstOutput", res.FirstOutput)
	_ = conn.Close(websocket.StatusNormalClosure, "")
}

// open reads the client's OpenDataChannel message and redeems its token.
func (b *Broker) open(ctx context.Context, conn *websocket.Conn, id string) (Target, Starter, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	typ, msg, err := conn.Read(ctx)
	if err != nil {
		return Target{}, nil, fmt.Errorf("read the open message: %w", err)
	}
	if typ != websocket.MessageText {
		return Target{}, nil, errors.New("the first message must be the text OpenDataChannel request")
	}
	var in openDataChannel
	if err := json.Unmarshal(msg, &in); err != nil || in.TokenValue == "" {
		return Target{}, nil, errors.New("the first message carries no TokenValue")
	}
	return b.redeem(id, in.TokenValue)
}

func (b *Broker) record(id string, r Result) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.results[id] = r
	b.order = append(b.order, id)
	// Keep the last few hundred: enough for tests and debugging.
	if len(b.order) > 256 {
		delete(b.results, b.order[0])
		b.order = b.order[1:]
	}
}

// wsTransport is a Transport over one WebSocket.
type wsTransport struct{ c *websocket.Conn }

func (w wsTransport) Read(ctx context.Context) ([]byte, error) {
	for {
		typ, b, err := w.c.Read(ctx)
		if err != nil {
			return nil, err
		}
		if typ == websocket.MessageBinary {
			return b, nil
		}
	}
}

func (w wsTransport) Write(ctx context.Context, b []byte) error {
	return w.c.Write(ctx, websocket.MessageBinary, b)
}

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func randToken() string {
	b := make([]byte, 48)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
