package ssmsession

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Client is the plugin's end of a data channel, for Go programs and
// tests (the SDK path: ExecuteCommand, then Dial its streamUrl). It
// answers the handshake, acknowledges what it receives, delivers output
// in order and numbers its own input; it does not retransmit (its
// transport is one reliable WebSocket, and wharf never drops input).
type Client struct {
	conn *websocket.Conn
	out  io.Writer

	mu       sync.Mutex
	seq      int64 // next input sequence number
	expected int64 // next output sequence number
	early    map[int64]Message
	ready    chan struct{} // closed at handshake complete
	readied  bool

	// dropFirstOutput, in tests, ignores that many output messages the
	// first time they come, to make the server retransmit.
	dropFirstOutput int
	dropped         map[int64]bool
}

// Dial opens streamURL with token and starts the session's handshake;
// the command's output goes to out. Run must be called to serve it.
func Dial(ctx context.Context, streamURL, token string, out io.Writer) (*Client, error) {
	conn, _, err := websocket.Dial(ctx, streamURL, nil)
	if err != nil {
		return nil, fmt.Errorf("ssmsession: dial %s: %w", streamURL, err)
	}
	conn.SetReadLimit(1 << 20)
	open, _ := json.Marshal(openDataChannel{MessageSchemaVersion: "1.0", RequestID: Message{MessageID: newUUID()}.ID(),
		TokenValue: token, ClientID: Message{MessageID: newUUID()}.ID(), ClientVersion: "wharf"})
	if err := conn.Write(ctx, websocket.MessageText, open); err != nil {
		conn.CloseNow()
		return nil, fmt.Errorf("ssmsession: send token: %w", err)
	}
	return &Client{conn: conn, out: out, early: map[int64]Message{}, ready: make(chan struct{}), dropped: map[int64]bool{}}, nil
}

// Ready is closed once the handshake is complete and input is accepted.
func (c *Client) Ready() <-chan struct{} { return c.ready }

// ErrRefused is a data channel the server closed before any message:
// a token spent, expired or for another session.
var ErrRefused = errors.New("ssmsession: data channel refused")

// Run serves the session until the server closes the channel; it
// returns nil on channel_closed.
func (c *Client) Run(ctx context.Context) error {
	defer c.conn.CloseNow()
	got := false
	for {
		typ, b, err := c.conn.Read(ctx)
		if err != nil {
			if !got && websocket.CloseStatus(err) == websocket.StatusPolicyViolation {
				return fmt.Errorf("%w: %v", ErrRefused, err)
			}
			return fmt.Errorf("ssmsession: read: %w", err)
		}
		if typ != websocket.MessageBinary {
			continue
		}
		got = true
		m, err := Parse(b)
		if err != nil {
			return err
		}
		switch m.Type {
		case TypeChannelClosed:
			return nil
		case TypeOutput:
			if err := c.output(ctx, m); err != nil {
				return err
			}
		}
	}
}

func (c *Client) output(ctx context.Context, m Message) error {
	c.mu.Lock()
	if c.dropFirstOutput > 0 && m.PayloadType == PayloadOutput && !c.dropped[m.SequenceNumber] {
		c.dropFirstOutput--
		c.dropped[m.SequenceNumber] = true
		c.mu.Unlock()
		return nil
	}
	var deliver []Message
	switch {
	case m.SequenceNumber == c.expected:
		deliver = append(deliver, m)
		c.expected++
		for e, ok := c.early[c.expected]; ok; e, ok = c.early[c.expected] {
			delete(c.early, c.expected)
			deliver = append(deliver, e)
			c.expected++
		}
	case m.SequenceNumber > c.expected:
		c.early[m.SequenceNumber] = m
	}
	c.mu.Unlock()
	if err := c.ack(ctx, m); err != nil {
		return err
	}
	for _, d := range deliver {
		switch d.PayloadType {
		case PayloadHandshakeRequest:
			resp, _ := json.Marshal(map[string]any{"ClientVersion": "wharf", "ProcessedClientActions": []map[string]any{{"ActionType": "SessionType", "ActionStatus": 1}}, "Errors": nil})
			if err := c.send(ctx, PayloadHandshakeResponse, resp); err != nil {
				return err
			}
		case PayloadHandshakeComplete:
			c.mu.Lock()
			first := !c.readied
			c.readied = true
			c.mu.Unlock()
			if first {
				// As the plugin does, say the terminal's size at once
				// (the command starts with it), then take input.
				if err := c.Resize(ctx, 24, 80); err != nil {
					return err
				}
				close(c.ready)
			}
		case PayloadOutput:
			if _, err := c.out.Write(d.Payload); err != nil {
				return err
			}
		}
	}
	return nil
}

// Send types keys (or any input) into the command.
func (c *Client) Send(ctx context.Context, b []byte) error { return c.send(ctx, PayloadOutput, b) }

// Resize tells the command its terminal's new size.
func (c *Client) Resize(ctx context.Context, rows, cols uint32) error {
	b, _ := json.Marshal(sizeData{Cols: cols, Rows: rows})
	return c.send(ctx, PayloadSize, b)
}

// Terminate asks the server to end the session.
func (c *Client) Terminate(ctx context.Context) error {
	b := binary.BigEndian.AppendUint32(nil, FlagTerminateSession)
	return c.send(ctx, PayloadFlag, b)
}

func (c *Client) send(ctx context.Context, pt PayloadType, payload []byte) error {
	c.mu.Lock()
	m := Message{Type: TypeInput, SchemaVersion: 1, CreatedDate: time.Now(), SequenceNumber: c.seq, MessageID: newUUID(), PayloadType: pt, Payload: payload}
	c.seq++
	c.mu.Unlock()
	wire, err := m.Marshal()
	if err != nil {
		return err
	}
	return c.conn.Write(ctx, websocket.MessageBinary, wire)
}

func (c *Client) ack(ctx context.Context, m Message) error {
	a := Message{Type: TypeAcknowledge, SchemaVersion: 1, CreatedDate: time.Now(), Flags: 3, MessageID: newUUID(),
		Payload: mustJSON(acknowledgeContent{MessageType: m.Type, MessageID: m.ID(), SequenceNumber: m.SequenceNumber, Sequential: true})}
	wire, err := a.Marshal()
	if err != nil {
		return err
	}
	return c.conn.Write(ctx, websocket.MessageBinary, wire)
}
