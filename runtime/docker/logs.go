package docker

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/docker/docker/api/types/container"
)

// Logs returns the container's stdout and stderr as the engine sends them:
// multiplexed frames, each line prefixed with its timestamp. Read it with
// NewLogReader. With follow, the stream goes on until the container stops
// or ctx ends; since (if not zero) skips older lines. Close it when done.
func (r *Runtime) Logs(ctx context.Context, id string, follow bool, since time.Time) (io.ReadCloser, error) {
	opts := container.LogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: true, Follow: follow}
	if !since.IsZero() {
		opts.Since = fmt.Sprintf("%d.%09d", since.Unix(), since.Nanosecond())
	}
	rc, err := r.cli.ContainerLogs(ctx, id, opts)
	if err != nil {
		return nil, fmt.Errorf("docker: logs %s: %w", id, err)
	}
	return rc, nil
}

// LogRecord is one line of a container's output.
type LogRecord struct {
	Stream string // "stdout" or "stderr"
	Time   time.Time
	Line   string // without its trailing newline
}

// LogReader splits a Logs stream into records, in the order the engine
// sent them.
type LogReader struct {
	r       *bufio.Reader
	pending []LogRecord
}

// NewLogReader reads the stream returned by Logs.
func NewLogReader(r io.Reader) *LogReader {
	return &LogReader{r: bufio.NewReader(r)}
}

// Next returns the next record, or io.EOF at the end of the stream.
func (lr *LogReader) Next() (LogRecord, error) {
	for len(lr.pending) == 0 {
		if err := lr.readFrame(); err != nil {
			return LogRecord{}, err
		}
	}
	rec := lr.pending[0]
	lr.pending = lr.pending[1:]
	return rec, nil
}

// readFrame reads one frame: an 8-byte header (stream, 0, 0, 0, big-endian
// payload size) and a payload of timestamped lines.
func (lr *LogReader) readFrame() error {
	var hdr [8]byte
	if _, err := io.ReadFull(lr.r, hdr[:]); err != nil {
		if err == io.ErrUnexpectedEOF {
			return fmt.Errorf("docker: logs: truncated frame header")
		}
		return err
	}
	stream := "stdout"
	if hdr[0] == 2 {
		stream = "stderr"
	}
	payload := make([]byte, binary.BigEndian.Uint32(hdr[4:]))
	if _, err := io.ReadFull(lr.r, payload); err != nil {
		return fmt.Errorf("docker: logs: truncated frame: %w", err)
	}
	for _, line := range strings.SplitAfter(string(payload), "\n") {
		if line == "" {
			continue
		}
		rec := LogRecord{Stream: stream, Line: strings.TrimSuffix(line, "\n")}
		if ts, rest, ok := strings.Cut(rec.Line, " "); ok {
			if t, err := time.Parse(time.RFC3339Nano, ts); err == nil {
				rec.Time, rec.Line = t, rest
			}
		}
		lr.pending = append(lr.pending, rec)
	}
	return nil
}
