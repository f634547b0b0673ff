package ssmsession

import "encoding/json"

// openDataChannel is the first (text) WebSocket message a client sends:
// it carries the one-shot token that ExecuteCommand returned.
type openDataChannel struct {
	MessageSchemaVersion string `json:"MessageSchemaVersion"`
	RequestID            string `json:"RequestId"`
	TokenValue           string `json:"TokenValue"`
	ClientID             string `json:"ClientId"`
	ClientVersion        string `json:"ClientVersion"`
}

// acknowledgeContent is the payload of an acknowledge message.
type acknowledgeContent struct {
	MessageType    string `json:"AcknowledgedMessageType"`
	MessageID      string `json:"AcknowledgedMessageId"`
	SequenceNumber int64  `json:"AcknowledgedMessageSequenceNumber"`
	Sequential     bool   `json:"IsSequentialMessage"`
}

// handshakeRequest asks the client to take part in the session; the only
// action wharf asks for is the session type (no KMS encryption).
type handshakeRequest struct {
	AgentVersion           string         `json:"AgentVersion"`
	RequestedClientActions []clientAction `json:"RequestedClientActions"`
}

type clientAction struct {
	ActionType       string          `json:"ActionType"`
	ActionParameters json.RawMessage `json:"ActionParameters"`
}

type sessionTypeRequest struct {
	SessionType string         `json:"SessionType"`
	Properties  map[string]any `json:"Properties"`
}

// handshakeResponse is the client's answer.
type handshakeResponse struct {
	ClientVersion          string `json:"ClientVersion"`
	ProcessedClientActions []struct {
		ActionType   string `json:"ActionType"`
		ActionStatus int    `json:"ActionStatus"`
		Error        string `json:"Error"`
	} `json:"ProcessedClientActions"`
	Errors []string `json:"Errors"`
}

// handshakeComplete ends the handshake; its duration is in nanoseconds
// (a Go time.Duration on the client side).
type handshakeComplete struct {
	HandshakeTimeToComplete int64  `json:"HandshakeTimeToComplete"`
	CustomerMessage         string `json:"CustomerMessage"`
}

// channelClosed tells the client the session is over; Output, when not
// empty, is printed beside the session id.
type channelClosed struct {
	MessageID     string `json:"MessageId"`
	CreatedDate   string `json:"CreatedDate"`
	DestinationID string `json:"DestinationId"`
	SessionID     string `json:"SessionId"`
	MessageType   string `json:"MessageType"`
	SchemaVersion int    `json:"SchemaVersion"`
	Output        string `json:"Output"`
}

// sizeData is a terminal size sent by the client on start and on resize.
type sizeData struct {
	Cols uint32 `json:"cols"`
	Rows uint32 `json:"rows"`
}
