package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/wharfhq/wharf/api/logstypes"
	"github.com/wharfhq/wharf/awsapi"
	"github.com/wharfhq/wharf/awsapi/ecs"
	"github.com/wharfhq/wharf/awsapi/logs"
	"github.com/wharfhq/wharf/model"
	"github.com/wharfhq/wharf/ssmsession"
)

// ECS Exec: the broker that grants sessions (ExecuteCommand) and serves
// their data channels under /_wharf/, and the session logs written
// through CloudWatch Logs (nil when Logs is not served). The broker runs
// commands through the agent that Server.Start gives it (Use); a control
// plane without an agent refuses ExecuteCommand.
func mountExec(m *mounter, e *ecs.API, logsAPI *logs.API) *ssmsession.Broker {
	b := ssmsession.NewBroker(m.Log.With("component", "ecs-exec"))
	var opener ecs.TranscriptOpener
	if logsAPI != nil {
		opener = func(sc model.Scope, group, stream string) (io.WriteCloser, error) {
			return &transcript{api: logsAPI, sc: sc, group: group, stream: stream}, nil
		}
	}
	e.UseExec(b, opener)
	m.API.Handle("GET "+ssmsession.StreamPath+"{session}", b)
	// First of the closers: sessions cut by the shutdown still write their
	// transcripts, before the logs store closes.
	m.closers = append([]func() error{b.Close}, m.closers...)
	return b
}

// transcript collects a session's output and writes it to its log stream
// when the session ends, one event per line, as the SSM agent uploads
// session logs at the end of a session.
type transcript struct {
	api           *logs.API
	sc            model.Scope
	group, stream string
	buf           bytes.Buffer
}

// maxTranscript bounds what one session keeps in memory for its log.
const maxTranscript = 4 << 20

func (t *transcript) Write(p []byte) (int, error) {
	if room := maxTranscript - t.buf.Len(); room > 0 {
		t.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (t *transcript) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ctx = awsapi.WithRequest(ctx, &awsapi.Request{Account: t.sc.Account, Region: t.sc.Region})
	if _, err := t.api.CreateLogStream(ctx, &logstypes.CreateLogStreamRequest{LogGroupName: new(t.group), LogStreamName: new(t.stream)}); err != nil {
		return fmt.Errorf("session log stream %s in %s: %w", t.stream, t.group, err)
	}
	now := time.Now().UnixMilli()
	var events []logstypes.InputLogEvent
	text := strings.ReplaceAll(t.buf.String(), "\r\n", "\n")
	for line := range strings.Lines(text) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			continue
		}
		events = append(events, logstypes.InputLogEvent{Timestamp: new(now), Message: new(line)})
	}
	// PutLogEvents takes at most 10,000 events a call.
	for len(events) > 0 {
		n := min(len(events), 10000)
		if _, err := t.api.PutLogEvents(ctx, &logstypes.PutLogEventsRequest{LogGroupName: new(t.group), LogStreamName: new(t.stream), LogEvents: events[:n]}); err != nil {
			return fmt.Errorf("session log to %s: %w", t.group, err)
		}
		events = events[n:]
	}
	return nil
}

var _ http.Handler = (*ssmsession.Broker)(nil)
