package agent

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/wharfhq/wharf/runtime/docker"
)

// Batching, as CloudWatch's PutLogEvents allows and the awslogs driver does.
const (
	shipMaxEvents   = 10000
	shipMaxBytes    = 1 << 20 // messages plus 26 bytes each
	shipEventBytes  = 26
	shipFlushAfter  = time.Second
	shipMaxSpan     = 24 * time.Hour
	shipCallTimeout = 15 * time.Second
	// checkpointWindow is how far before the newest shipped line a resumed
	// read starts. The engine stamps stdout and stderr lines on separate
	// goroutines, so its file order may invert lines a little; lines
	// shipped within the window are remembered by fingerprint and skipped
	// when read again.
	checkpointWindow = 50 * time.Millisecond
)

// ship sends one container's output until it has stopped and everything is
// shipped, or ctx ends.
func (l *logShipper) ship(ctx context.Context, s shipment) {
	log := l.a.cfg.Log.With("container", s.id, "task", s.task, "group", s.cfg.group, "stream", s.cfg.stream)
	ck, err := loadCheckpoint(l.path(s.id))
	if err != nil {
		log.Warn("agent: logs: unreadable checkpoint; shipping from the start", "err", err)
		ck = newCheckpoint()
	}
	sh := &shipper{l: l, s: s, ck: ck, log: log}
	backoff, final := 250*time.Millisecond, false
	for ctx.Err() == nil {
		err := sh.ensureStream(ctx)
		if err == nil {
			err = sh.follow(ctx)
		}
		if err == nil {
			// The engine ended the stream: it does so when the container
			// stops (or was not started yet, or the engine went away).
			st, ierr := l.a.cfg.Runtime.InspectContainer(ctx, s.id)
			switch {
			case docker.IsNotFound(ierr):
				return
			case ierr != nil:
				err = ierr
			case st.Status == "exited" || st.Status == "dead":
				if final {
					return
				}
				final = true // one more pass catches lines written as it stopped
				continue
			case st.Running:
				backoff = 250 * time.Millisecond
			}
		}
		if ctx.Err() != nil || docker.IsNotFound(err) {
			return // stopping, or the container was removed
		}
		if err != nil {
			log.Warn("agent: logs: shipping interrupted; will resume", "err", err, "in", backoff)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, 10*time.Second)
	}
}

func (l *logShipper) path(id string) string { return filepath.Join(l.dir, id+".json") }

// shipper is one container's shipping state.
type shipper struct {
	l           *logShipper
	s           shipment
	ck          *checkpoint
	log         *slog.Logger
	streamReady bool
}

// ensureStream creates the stream (and with awslogs-create-group, the
// group) once per shipper; the hook did it already when it could.
func (sh *shipper) ensureStream(ctx context.Context) error {
	if sh.streamReady {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, shipCallTimeout)
	defer cancel()
	if err := sh.l.a.logsStream(cctx, sh.s.cfg); err != nil {
		return fmt.Errorf("log stream %s in group %s: %w", sh.s.cfg.stream, sh.s.cfg.group, err)
	}
	sh.streamReady = true
	return nil
}

// follow reads the container's output from the checkpoint and ships it in
// batches until the engine ends the stream (nil: the container stopped, or
// the engine went away) or ctx ends. Lines read but not yet shipped when
// ctx ends are read again by the next start.
func (sh *shipper) follow(ctx context.Context) error {
	rctx, cancel := context.WithCancel(ctx)
	rc, err := sh.l.a.cfg.Runtime.Logs(rctx, sh.s.id, true, sh.ck.since())
	if err != nil {
		cancel()
		return err
	}
	// A large buffer (NewLogReader uses it as is) saves a read per frame of
	// a chatty container.
	br := bufio.NewReaderSize(rc, 256<<10)
	recs := make(chan docker.LogRecord, 1024)
	readErr := make(chan error, 1)
	go func() {
		defer close(recs)
		lr := docker.NewLogReader(br)
		for {
			rec, err := lr.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) && rctx.Err() == nil {
					readErr <- err
				}
				return
			}
			select {
			case recs <- rec:
			case <-rctx.Done():
				return
			}
		}
	}()
	defer func() {
		cancel()
		_ = rc.Close()
		for range recs { // let the reader see the cancel and finish
		}
	}()

	// Batches go to a sender, so that reading goes on while a batch is in
	// flight; the sender ships them in order and checkpoints each.
	batches := make(chan []docker.LogRecord, 1)
	sendErr := make(chan error, 1)
	go func() {
		defer close(sendErr)
		for b := range batches {
			if err := sh.put(ctx, b); err != nil {
				sendErr <- err
				for range batches { // drop the rest: they are read again next time
				}
				return
			}
		}
	}()
	// finish hands over what is pending and waits for the sender.
	finish := func(batch []docker.LogRecord) error {
		if len(batch) > 0 {
			batches <- batch
		}
		close(batches)
		return <-sendErr
	}

	skip := sh.ck.skipSet()
	var batch []docker.LogRecord
	bytes := 0
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	// hand passes the batch to the sender (waiting while it is busy with
	// the one before), unless the sender has failed.
	hand := func() error {
		timer.Stop()
		if len(batch) == 0 {
			return nil
		}
		select {
		case batches <- batch:
		case err := <-sendErr:
			close(batches)
			return err
		case <-ctx.Done():
			_ = finish(nil)
			return ctx.Err()
		}
		batch, bytes = nil, 0
		return nil
	}
	for {
		select {
		case <-ctx.Done():
			_ = finish(nil)
			return ctx.Err()
		case err := <-sendErr:
			close(batches)
			return err
		case <-timer.C:
			if err := hand(); err != nil {
				return err
			}
		case rec, ok := <-recs:
			if !ok {
				if err := finish(batch); err != nil {
					return err
				}
				select {
				case err := <-readErr:
					return err
				default:
					return nil
				}
			}
			if rec.Time.IsZero() {
				rec.Time = time.Now() // the engine always stamps lines; just in case
			}
			if rec.Line == "" || skip.consume(rec) {
				continue // CloudWatch takes no empty events; skip what was shipped before
			}
			if size := len(rec.Line) + shipEventBytes; len(batch) == shipMaxEvents || bytes+size > shipMaxBytes {
				if err := hand(); err != nil {
					return err
				}
			}
			if len(batch) == 0 {
				timer.Reset(shipFlushAfter)
			}
			batch = append(batch, rec)
			bytes += len(rec.Line) + shipEventBytes
		}
	}
}

// put sends records in chronological order, in pieces that span at most
// 24 hours, retrying until they are accepted or ctx ends, and checkpoints
// each piece once the control plane has it. A call in flight when ctx ends
// is let finish, so that what it stored is also checkpointed; none is
// started after ctx ends.
func (sh *shipper) put(ctx context.Context, recs []docker.LogRecord) error {
	slices.SortStableFunc(recs, func(a, b docker.LogRecord) int { return a.Time.Compare(b.Time) })
	for len(recs) > 0 {
		n := 1
		for n < len(recs) && recs[n].Time.Sub(recs[0].Time) <= shipMaxSpan {
			n++
		}
		in := encodePut(sh.s.cfg.group, sh.s.cfg.stream, recs[:n])
		backoff := 500 * time.Millisecond
		for {
			if err := ctx.Err(); err != nil {
				return err // not sent: read again next time
			}
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shipCallTimeout)
			err := sh.l.a.logsCall(cctx, sh.s.cfg.region, "PutLogEvents", in, nil)
			cancel()
			if err == nil {
				break
			}
			if isCode(err, "InvalidParameterException") {
				// Retrying cannot help: drop the batch rather than stall the stream.
				sh.log.Error("agent: logs: PutLogEvents refused a batch; dropping it", "err", err, "events", n)
				break
			}
			if isCode(err, "ResourceNotFoundException") {
				sh.streamReady = false // deleted meanwhile: make it again
				if serr := sh.ensureStream(ctx); serr == nil {
					continue
				}
			}
			sh.log.Warn("agent: logs: PutLogEvents failed; will retry", "err", err, "in", backoff)
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 30*time.Second)
		}
		sh.ck.add(recs[:n])
		if err := sh.ck.save(sh.l.path(sh.s.id)); err != nil {
			return fmt.Errorf("save log checkpoint: %w", err)
		}
		recs = recs[n:]
	}
	return nil
}

// checkpoint is what was shipped of one container: the newest line's time,
// and the fingerprints of the lines shipped within checkpointWindow of it.
type checkpoint struct {
	Last time.Time       `json:"last"`
	Seen map[string]seen `json:"seen"`
}

type seen struct {
	At    int64 `json:"at"` // unix nanoseconds
	Count int   `json:"n"`
}

func newCheckpoint() *checkpoint { return &checkpoint{Seen: map[string]seen{}} }

func loadCheckpoint(path string) (*checkpoint, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return newCheckpoint(), nil
	}
	if err != nil {
		return nil, err
	}
	ck := newCheckpoint()
	if err := json.Unmarshal(b, ck); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if ck.Seen == nil {
		ck.Seen = map[string]seen{}
	}
	return ck, nil
}

// since is where a resumed read starts (the engine's since is inclusive).
func (ck *checkpoint) since() time.Time {
	if ck.Last.IsZero() {
		return time.Time{}
	}
	return ck.Last.Add(-checkpointWindow)
}

func fingerprint(r docker.LogRecord) string {
	h := fnv.New64a()
	_, _ = io.WriteString(h, r.Stream)
	_, _ = h.Write([]byte{0})
	_, _ = io.WriteString(h, strconv.FormatInt(r.Time.UnixNano(), 10))
	_, _ = h.Write([]byte{0})
	_, _ = io.WriteString(h, r.Line)
	return strconv.FormatUint(h.Sum64(), 36)
}

// add notes shipped records and forgets those older than the window.
func (ck *checkpoint) add(recs []docker.LogRecord) {
	for _, r := range recs {
		if r.Time.After(ck.Last) {
			ck.Last = r.Time
		}
	}
	floor := ck.since()
	for _, r := range recs {
		if r.Time.Before(floor) {
			continue // a resumed read does not go back that far
		}
		fp := fingerprint(r)
		e := ck.Seen[fp]
		e.At, e.Count = r.Time.UnixNano(), e.Count+1
		ck.Seen[fp] = e
	}
	for fp, e := range ck.Seen {
		if e.At < floor.UnixNano() {
			delete(ck.Seen, fp)
		}
	}
}

// save writes the checkpoint durably (a temporary file, synced, renamed).
func (ck *checkpoint) save(path string) error {
	b, err := json.Marshal(ck)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// skipSet is the lines a resumed read will meet again and must not ship.
type skipSet map[string]int

func (ck *checkpoint) skipSet() skipSet {
	s := make(skipSet, len(ck.Seen))
	for fp, e := range ck.Seen {
		s[fp] = e.Count
	}
	return s
}

// consume reports whether r was shipped before (and counts it off).
func (s skipSet) consume(r docker.LogRecord) bool {
	if len(s) == 0 || r.Time.Before(time.Unix(0, 0)) {
		return false
	}
	fp := fingerprint(r)
	if s[fp] == 0 {
		return false
	}
	s[fp]--
	return true
}

// putRequest is a PutLogEvents request encoded by hand: encoding 10,000
// events by reflection costs more than anything else the agent does to
// ship them.
type putRequest struct{ body []byte }

func (p putRequest) MarshalJSON() ([]byte, error) { return p.body, nil }

// encodePut is the request body of PutLogEvents for recs.
func encodePut(group, stream string, recs []docker.LogRecord) putRequest {
	n := 64 + len(group) + len(stream)
	for _, r := range recs {
		n += len(r.Line) + 48
	}
	b := make([]byte, 0, n)
	b = append(b, `{"logGroupName":`...)
	b = appendJSONString(b, group)
	b = append(b, `,"logStreamName":`...)
	b = appendJSONString(b, stream)
	b = append(b, `,"logEvents":[`...)
	for i, r := range recs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"timestamp":`...)
		b = strconv.AppendInt(b, r.Time.UnixMilli(), 10)
		b = append(b, `,"message":`...)
		b = appendJSONString(b, r.Line)
		b = append(b, '}')
	}
	return putRequest{body: append(b, "]}"...)}
}

// appendJSONString appends s as a JSON string; invalid UTF-8 becomes
// U+FFFD, as encoding/json does.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r != utf8.RuneError || size != 1 {
				i += size
				continue
			}
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i++
			start = i
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		i++
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
