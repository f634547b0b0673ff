package ssmsession

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"sync"
	"time"
)

// Transport carries the channel's binary messages: one WebSocket.
type Transport interface {
	Read(ctx context.Context) ([]byte, error)
	Write(ctx context.Context, b []byte) error
}

// Process is the command a session runs: its output is read, keys are
// written to it, its terminal follows the client's size.
type Process interface {
	io.Reader
	io.Writer
	Resize(ctx context.Context, rows, cols uint) error
	// ExitCode is the status once the output ended; running is true while
	// the process is still alive.
	ExitCode(ctx context.Context) (code int, running bool, err error)
	Close() error
}

// StartFunc starts the session's command with the client's terminal size
// (0 when the client has not sent one).
type StartFunc func(ctx context.Context, rows, cols uint) (Process, error)

// AgentVersion is what wharf announces in the handshake: a recent SSM
// agent's, so that the plugin enables what such agents support.
const AgentVersion = "3.3.2299.0"

// chunk is the largest output payload, as the SSM agent sends them.
const chunk = 1024

// Channel is one session's data channel. Run it once.
type Channel struct {
	SessionID string
	// Interactive asks the client for an interactive command session
	// rather than a non-interactive one (the plugin treats both as a
	// standard stream).
	Interactive bool
	T           Transport
	Start       StartFunc
	// Transcript, when set, receives everything the command printed.
	Transcript io.Writer
	// RTO is how long a message may go unacknowledged before it is sent
	// again (200ms, the plugin's own starting value, when zero).
	RTO time.Duration
	Log *slog.Logger

	wmu sync.Mutex // one writer on the transport

	mu       sync.Mutex
	nextSeq  int64
	unacked  map[int64]*pending
	expected int64             // the next input sequence number to deliver
	early    map[int64]Message // input that arrived ahead of expected
	firstOut time.Duration
	started  time.Time
}

type pending struct {
	wire   []byte
	sentAt time.Time
	tries  int
}

// Result is how a session ended.
type Result struct {
	ExitCode int
	// Reason is set when the session ended other than by the command's
	// own exit (the client left, the task stopped).
	Reason string
	// FirstOutput is the time from Run to the first output byte sent.
	FirstOutput time.Duration
}

// ErrClientGone is a client that closed the channel or stopped answering.
var ErrClientGone = errors.New("ssmsession: client closed the data channel")

// events from the reader to Run.
type inbound struct {
	handshake chan struct{}
	keys      chan []byte
	sizes     chan sizeData
}

// Run speaks the protocol until the command ends, the client leaves or
// ctx ends (the task stopped), and then closes the channel with
// channel_closed so the client exits cleanly.
func (c *Channel) Run(ctx context.Context) (Result, error) {
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.RTO == 0 {
		c.RTO = 200 * time.Millisecond
	}
	c.unacked = map[int64]*pending{}
	c.early = map[int64]Message{}
	c.started = time.Now()

	var wg sync.WaitGroup
	defer wg.Wait() // after the cancels below: the reader returns once readCtx ends
	// The reader outlives ctx until Run returns: a WebSocket read cut by
	// its context closes the connection, and channel_closed must get out
	// first.
	readCtx, stopReading := context.WithCancel(context.WithoutCancel(ctx))
	defer stopReading()
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	in := inbound{handshake: make(chan struct{}), keys: make(chan []byte, 64), sizes: make(chan sizeData, 8)}
	wg.Go(func() { cancel(c.read(ctx, readCtx, in)) })
	wg.Go(func() { c.retransmit(ctx) })

	if err := c.sendHandshakeRequest(ctx); err != nil {
		return Result{}, err
	}
	select {
	case <-in.handshake:
	case <-ctx.Done():
		return c.cut(ctx), nil
	}
	if err := c.send(ctx, TypeOutput, PayloadHandshakeComplete, mustJSON(handshakeComplete{HandshakeTimeToComplete: int64(time.Since(c.started))})); err != nil {
		return Result{}, err
	}
	// The plugin sends its terminal size as soon as the handshake is
	// complete; starting with it spares the command a resize at once.
	var rows, cols uint
	select {
	case s := <-in.sizes:
		rows, cols = uint(s.Rows), uint(s.Cols)
	case <-time.After(250 * time.Millisecond):
		rows, cols = 24, 80 // a client that says nothing gets a classic terminal
	case <-ctx.Done():
		return c.cut(ctx), nil
	}
	proc, err := c.Start(ctx, rows, cols)
	if err != nil {
		c.close(context.WithoutCancel(ctx), "Unable to start command: "+err.Error())
		return Result{}, fmt.Errorf("start command: %w", err)
	}
	defer proc.Close()
	// Closing the process ends its Read when the session is cut short.
	stop := context.AfterFunc(ctx, func() { _ = proc.Close() })
	defer stop()
	wg.Go(func() { c.feed(ctx, proc, in) })

	outErr := c.pump(ctx, proc)
	if ctx.Err() != nil {
		return c.cut(ctx), nil
	}
	if outErr != nil {
		c.Log.Debug("command output ended", "session", c.SessionID, "err", outErr)
	}
	final := context.WithoutCancel(ctx)
	res := Result{ExitCode: c.exitCode(final, proc)}
	c.drain(ctx)
	res.FirstOutput = c.first()
	c.close(final, "")
	return res, nil
}

// cut ends a session that did not end by its command's exit: the client
// left, asked to terminate, or ctx ended (the task stopped, wharf stops).
// The client hears channel_closed unless it is the one that left.
func (c *Channel) cut(ctx context.Context) Result {
	cause := context.Cause(ctx)
	res := Result{ExitCode: -1, Reason: cause.Error(), FirstOutput: c.first()}
	switch {
	case errors.Is(cause, ErrClientGone):
		res.Reason = "client closed the session"
		return res
	case errors.Is(cause, errTerminated):
		res.Reason = "client terminated the session"
	}
	c.close(context.WithoutCancel(ctx), "")
	return res
}

var errTerminated = errors.New("ssmsession: client terminated the session")

func (c *Channel) first() time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.firstOut
}

// pump sends the command's output, in order, until it ends.
func (c *Channel) pump(ctx context.Context, proc Process) error {
	buf := make([]byte, chunk)
	for {
		n, err := proc.Read(buf)
		if n > 0 {
			c.mu.Lock()
			if c.firstOut == 0 {
				c.firstOut = time.Since(c.started)
			}
			c.mu.Unlock()
			if c.Transcript != nil {
				_, _ = c.Transcript.Write(buf[:n])
			}
			if serr := c.send(ctx, TypeOutput, PayloadOutput, append([]byte(nil), buf[:n]...)); serr != nil {
				return serr
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// feed passes keys and sizes to the command.
func (c *Channel) feed(ctx context.Context, proc Process, in inbound) {
	for {
		select {
		case <-ctx.Done():
			return
		case k := <-in.keys:
			if _, err := proc.Write(k); err != nil {
				c.Log.Debug("write to command", "session", c.SessionID, "err", err)
			}
		case s := <-in.sizes:
			if err := proc.Resize(ctx, uint(s.Rows), uint(s.Cols)); err != nil {
				c.Log.Debug("resize command terminal", "session", c.SessionID, "err", err)
			}
		}
	}
}

// exitCode waits briefly for the engine to report the command gone.
func (c *Channel) exitCode(ctx context.Context, proc Process) int {
	for range 40 {
		code, running, err := proc.ExitCode(ctx)
		if err != nil {
			c.Log.Debug("command exit code", "session", c.SessionID, "err", err)
			return -1
		}
		if !running {
			return code
		}
		select {
		case <-ctx.Done():
			return -1
		case <-time.After(25 * time.Millisecond):
		}
	}
	return -1
}

// drain waits (a bounded time) for the client to acknowledge all output,
// so that channel_closed does not overtake the last bytes.
func (c *Channel) drain(ctx context.Context) {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		n := len(c.unacked)
		c.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// read handles the client's messages until the transport fails.
func (c *Channel) read(ctx, readCtx context.Context, in inbound) error {
	shook := false
	for {
		b, err := c.T.Read(readCtx)
		if err != nil {
			if readCtx.Err() != nil {
				return nil // Run is over
			}
			return fmt.Errorf("%w: %v", ErrClientGone, err)
		}
		m, err := Parse(b)
		if err != nil {
			c.Log.Debug("drop malformed message", "session", c.SessionID, "err", err)
			continue
		}
		switch m.Type {
		case TypeAcknowledge:
			var ack acknowledgeContent
			if err := json.Unmarshal(m.Payload, &ack); err == nil {
				c.mu.Lock()
				delete(c.unacked, ack.SequenceNumber)
				c.mu.Unlock()
			}
		case TypeInput:
			// Every copy is acknowledged, so a resending client stops;
			// only the next expected one (and the early ones it unlocks)
			// are delivered.
			if err := c.ack(ctx, m); err != nil {
				return err
			}
			for _, d := range c.order(m) {
				switch d.PayloadType {
				case PayloadHandshakeResponse:
					if !shook {
						shook = true
						var hr handshakeResponse
						_ = json.Unmarshal(d.Payload, &hr)
						if len(hr.Errors) > 0 {
							c.Log.Warn("client reported handshake errors", "session", c.SessionID, "errors", hr.Errors)
						}
						close(in.handshake)
					}
				case PayloadOutput:
					select {
					case in.keys <- d.Payload:
					case <-ctx.Done():
						return context.Cause(ctx)
					}
				case PayloadSize:
					var s sizeData
					if json.Unmarshal(d.Payload, &s) == nil && s.Rows > 0 && s.Cols > 0 {
						select {
						case in.sizes <- s:
						default: // a newer size follows; the command gets that one
						}
					}
				case PayloadFlag:
					if len(d.Payload) == 4 && binary.BigEndian.Uint32(d.Payload) == FlagTerminateSession {
						return errTerminated
					}
				}
			}
		case TypeChannelClosed:
			return ErrClientGone
		}
	}
}

// order returns the input messages now deliverable, in sequence.
func (c *Channel) order(m Message) []Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case m.SequenceNumber < c.expected:
		return nil
	case m.SequenceNumber > c.expected:
		c.early[m.SequenceNumber] = m
		return nil
	}
	out := []Message{m}
	c.expected++
	for {
		e, ok := c.early[c.expected]
		if !ok {
			return out
		}
		delete(c.early, c.expected)
		out = append(out, e)
		c.expected++
	}
}

// retransmit sends again what the client has not acknowledged in time:
// the plugin drops stream messages that reach it before its session
// handler is ready, and counts on the agent to resend them.
func (c *Channel) retransmit(ctx context.Context) {
	t := time.NewTicker(c.RTO / 2)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if ctx.Err() != nil {
				return
			}
			c.mu.Lock()
			var due [][]byte
			seqs := make([]int64, 0, len(c.unacked))
			for s := range c.unacked {
				seqs = append(seqs, s)
			}
			sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
			for _, s := range seqs {
				p := c.unacked[s]
				if now.Sub(p.sentAt) >= c.RTO {
					p.sentAt, p.tries = now, p.tries+1
					due = append(due, p.wire)
				}
			}
			c.mu.Unlock()
			for _, w := range due {
				if err := c.write(ctx, w); err != nil {
					return
				}
			}
		}
	}
}

func (c *Channel) sendHandshakeRequest(ctx context.Context) error {
	kind := "InteractiveCommands"
	if !c.Interactive {
		kind = "NonInteractiveCommands"
	}
	params := mustJSON(sessionTypeRequest{SessionType: kind, Properties: map[string]any{}})
	req := handshakeRequest{AgentVersion: AgentVersion, RequestedClientActions: []clientAction{{ActionType: "SessionType", ActionParameters: params}}}
	return c.send(ctx, TypeOutput, PayloadHandshakeRequest, mustJSON(req))
}

// send numbers a stream message, keeps it until acknowledged and sends it.
func (c *Channel) send(ctx context.Context, typ string, pt PayloadType, payload []byte) error {
	c.mu.Lock()
	m := Message{Type: typ, SchemaVersion: 1, CreatedDate: time.Now(), SequenceNumber: c.nextSeq,
		MessageID: newUUID(), PayloadType: pt, Payload: payload}
	wire, err := m.Marshal()
	if err != nil {
		c.mu.Unlock()
		return err
	}
	c.unacked[m.SequenceNumber] = &pending{wire: wire, sentAt: time.Now()}
	c.nextSeq++
	c.mu.Unlock()
	return c.write(ctx, wire)
}

// ack acknowledges one input message (acknowledgements carry no sequence
// number of their own).
func (c *Channel) ack(ctx context.Context, m Message) error {
	a := Message{Type: TypeAcknowledge, SchemaVersion: 1, CreatedDate: time.Now(), Flags: 3, MessageID: newUUID(),
		Payload: mustJSON(acknowledgeContent{MessageType: m.Type, MessageID: m.ID(), SequenceNumber: m.SequenceNumber, Sequential: true})}
	wire, err := a.Marshal()
	if err != nil {
		return err
	}
	return c.write(ctx, wire)
}

// close sends channel_closed; the plugin prints its Output (or "Exiting
// session with sessionId") and exits.
func (c *Channel) close(ctx context.Context, output string) {
	id := newUUID()
	m := Message{Type: TypeChannelClosed, SchemaVersion: 1, CreatedDate: time.Now(), MessageID: id, PayloadType: PayloadOutput,
		Payload: mustJSON(channelClosed{MessageID: Message{MessageID: id}.ID(), CreatedDate: time.Now().UTC().Format(time.RFC3339Nano),
			SessionID: c.SessionID, MessageType: TypeChannelClosed, SchemaVersion: 1, Output: output})}
	wire, err := m.Marshal()
	if err == nil {
		err = c.write(ctx, wire)
	}
	if err != nil {
		c.Log.Debug("send channel_closed", "session", c.SessionID, "err", err)
	}
}

// write sends one message. A WebSocket write cut by its context closes
// the connection, so the session's end never cuts one: only a client that
// takes no data for writeTimeout does (within wharf's 10 s to stop).
func (c *Channel) write(ctx context.Context, b []byte) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
	defer cancel()
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.T.Write(ctx, b)
}

const writeTimeout = 5 * time.Second

func newUUID() [16]byte {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("ssmsession: marshal %T: %v", v, err))
	}
	return b
}
