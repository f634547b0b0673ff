package ssmsession

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Message types, as they appear (space padded) in the 32-byte type field.
const (
	TypeInput         = "input_stream_data"
	TypeOutput        = "output_stream_data"
	TypeAcknowledge   = "acknowledge"
	TypeChannelClosed = "channel_closed"
	TypeStartPublish  = "start_publication"
	TypePausePublish  = "pause_publication"
)

// PayloadType says what a stream message carries.
type PayloadType uint32

// Payload types of stream data messages.
const (
	PayloadOutput            PayloadType = 1 // terminal bytes, both ways
	PayloadError             PayloadType = 2
	PayloadSize              PayloadType = 3 // {"cols":N,"rows":N} from the client
	PayloadParameter         PayloadType = 4
	PayloadHandshakeRequest  PayloadType = 5
	PayloadHandshakeResponse PayloadType = 6
	PayloadHandshakeComplete PayloadType = 7
	PayloadEncChallengeReq   PayloadType = 8
	PayloadEncChallengeResp  PayloadType = 9
	PayloadFlag              PayloadType = 10 // a 4-byte big-endian flag from the client
	PayloadStdErr            PayloadType = 11
	PayloadExitCode          PayloadType = 12
)

// Flags a client sends as a PayloadFlag payload.
const (
	FlagDisconnectToPort   uint32 = 1
	FlagTerminateSession   uint32 = 2
	FlagConnectToPortError uint32 = 3
)

// The header's layout: every field at a fixed offset, big-endian.
// headerLength counts the bytes before the payload-length field; the
// payload starts 4 bytes after it.
const (
	offType          = 4
	lenType          = 32
	offSchema        = offType + lenType // 36
	offCreated       = offSchema + 4     // 40
	offSequence      = offCreated + 8    // 48
	offFlags         = offSequence + 8   // 56
	offMessageID     = offFlags + 8      // 64
	offDigest        = offMessageID + 16 // 80
	offPayloadType   = offDigest + 32    // 112
	offPayloadLength = offPayloadType + 4
	headerLength     = offPayloadLength // 116, the value of the first field
	minMessage       = headerLength + 4
)

// Message is one agent message of the data channel.
type Message struct {
	Type          string
	SchemaVersion uint32
	// CreatedDate is carried as milliseconds since the Unix epoch.
	CreatedDate    time.Time
	SequenceNumber int64
	Flags          uint64
	// MessageID is a UUID in its usual byte order; on the wire its two
	// 8-byte halves are swapped (least significant half first).
	MessageID   [16]byte
	PayloadType PayloadType
	Payload     []byte
}

// ID formats MessageID as the plugin does in acknowledgements.
func (m Message) ID() string {
	h := hex.EncodeToString(m.MessageID[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// Marshal encodes m, computing the payload digest.
func (m Message) Marshal() ([]byte, error) {
	if len(m.Type) > lenType {
		return nil, fmt.Errorf("ssmsession: message type %q longer than %d bytes", m.Type, lenType)
	}
	b := make([]byte, minMessage+len(m.Payload))
	be := binary.BigEndian
	be.PutUint32(b[0:], headerLength)
	copy(b[offType:offSchema], bytes.Repeat([]byte{' '}, lenType))
	copy(b[offType:], m.Type)
	be.PutUint32(b[offSchema:], m.SchemaVersion)
	be.PutUint64(b[offCreated:], uint64(m.CreatedDate.UnixMilli()))
	be.PutUint64(b[offSequence:], uint64(m.SequenceNumber))
	be.PutUint64(b[offFlags:], m.Flags)
	copy(b[offMessageID:], m.MessageID[8:])
	copy(b[offMessageID+8:], m.MessageID[:8])
	sum := sha256.Sum256(m.Payload)
	copy(b[offDigest:], sum[:])
	be.PutUint32(b[offPayloadType:], uint32(m.PayloadType))
	be.PutUint32(b[offPayloadLength:], uint32(len(m.Payload)))
	copy(b[minMessage:], m.Payload)
	return b, nil
}

// ErrDigest is a message whose payload does not match its SHA-256 digest.
var ErrDigest = errors.New("ssmsession: payload digest mismatch")

// Parse decodes one binary WebSocket message and checks its lengths and,
// for a non-empty payload, its digest.
func Parse(b []byte) (Message, error) {
	if len(b) < minMessage {
		return Message{}, fmt.Errorf("ssmsession: message of %d bytes, shorter than a header", len(b))
	}
	be := binary.BigEndian
	hl := be.Uint32(b[0:])
	if hl < headerLength || int(hl)+4 > len(b) {
		return Message{}, fmt.Errorf("ssmsession: header length %d in a message of %d bytes", hl, len(b))
	}
	m := Message{
		Type:           strings.TrimSpace(string(bytes.Trim(b[offType:offSchema], "\x00"))),
		SchemaVersion:  be.Uint32(b[offSchema:]),
		CreatedDate:    time.UnixMilli(int64(be.Uint64(b[offCreated:]))),
		SequenceNumber: int64(be.Uint64(b[offSequence:])),
		Flags:          be.Uint64(b[offFlags:]),
		PayloadType:    PayloadType(be.Uint32(b[offPayloadType:])),
	}
	copy(m.MessageID[8:], b[offMessageID:])
	copy(m.MessageID[:8], b[offMessageID+8:])
	n := be.Uint32(b[offPayloadLength:])
	start := int(hl) + 4
	if int(n) != len(b)-start {
		return Message{}, fmt.Errorf("ssmsession: payload length %d but %d bytes follow the header", n, len(b)-start)
	}
	m.Payload = b[start:]
	if n > 0 {
		sum := sha256.Sum256(m.Payload)
		if !bytes.Equal(sum[:], b[offDigest:offDigest+32]) {
			return Message{}, ErrDigest
		}
	}
	return m, nil
}
