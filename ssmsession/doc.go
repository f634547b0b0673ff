// Package ssmsession is the far end of an AWS Session Manager data channel,
// the part that the SSM agent plays on a real host: it serves the WebSocket
// that ExecuteCommand's streamUrl names, speaks the binary agent messages
// that AWS's session-manager-plugin sends and expects (sequence numbers,
// acknowledgements, retransmission, the handshake, output and input stream
// data, terminal sizes, channel_closed), and joins them to a process
// running in a container.
//
//	plugin ──ws──▶ Broker.ServeHTTP ──token──▶ Channel.Run ──▶ Process (docker exec, TTY)
//	         ◀── output_stream_data (seq n) ◀── output ◀──┘
//	         ── acknowledge / input_stream_data (keys, size, flag) ──▶
//
// The protocol was learnt by reading the plugin's source; none of its code
// is used here. The package imports no AWS service package and no Docker
// code: the Broker's caller supplies, per agent node, a Starter that runs
// the command (the embedded agent's docker exec today; in a fleet, a relay
// to the task's host would register the same way). Client is the plugin's
// end in Go, for programs that take ExecuteCommand's session themselves.
package ssmsession
