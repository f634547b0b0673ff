package docker

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/api/types/container"
)

// ExecSpec is one command to run inside a running container.
type ExecSpec struct {
	Cmd []string
	// TTY allocates a terminal: output is one stream, keys such as Ctrl-C
	// reach the process as signals, and Resize follows the client's window.
	TTY        bool
	Rows, Cols uint
}

// Exec is a command running in a container through the engine's exec API:
// Read is its output (stdout and stderr as one stream with a TTY), Write
// its input, Close ends the attachment (the process goes on only if it
// ignores the hangup).
type Exec struct {
	r    *Runtime
	id   string
	hj   types.HijackedResponse
	once sync.Once
}

// Exec starts spec in container id, attached to its standard streams.
func (r *Runtime) Exec(ctx context.Context, id string, spec ExecSpec) (*Exec, error) {
	if len(spec.Cmd) == 0 {
		return nil, errors.New("docker: exec: empty command")
	}
	opts := container.ExecOptions{
		Cmd: spec.Cmd, Tty: spec.TTY, AttachStdin: true, AttachStdout: true, AttachStderr: true,
	}
	var size *[2]uint
	if spec.TTY && spec.Rows > 0 && spec.Cols > 0 {
		size = &[2]uint{spec.Rows, spec.Cols}
		opts.ConsoleSize = size
	}
	created, err := r.cli.ContainerExecCreate(ctx, id, opts)
	if err != nil {
		return nil, fmt.Errorf("docker: exec create in %s: %w", short(id), err)
	}
	hj, err := r.cli.ContainerExecAttach(ctx, created.ID, container.ExecAttachOptions{Tty: spec.TTY, ConsoleSize: size})
	if err != nil {
		return nil, fmt.Errorf("docker: exec attach %s: %w", short(created.ID), err)
	}
	e := &Exec{r: r, id: created.ID, hj: hj}
	if size != nil {
		// Engines before API 1.42 ignore ConsoleSize: the terminal starts
		// 0x0. Size it as the docker CLI does, once the process is there
		// (a resize just after the start may find it not running yet). It
		// is best effort: a command already gone (no such exec) printed
		// what it had to, and its output is read all the same.
		for i := range 5 {
			err := e.Resize(ctx, spec.Rows, spec.Cols)
			if err == nil || IsNotFound(err) || ctx.Err() != nil {
				break
			}
			time.Sleep(time.Duration(i+1) * 5 * time.Millisecond)
		}
	}
	return e, nil
}

// Read reads the command's output. Without a TTY the engine multiplexes
// stdout and stderr with 8-byte frame headers (use stdcopy to split them).
func (e *Exec) Read(p []byte) (int, error) { return e.hj.Reader.Read(p) }

// Write sends keys or input to the command.
func (e *Exec) Write(p []byte) (int, error) { return e.hj.Conn.Write(p) }

// CloseInput half-closes the input: a command reading stdin sees EOF.
func (e *Exec) CloseInput() error { return e.hj.CloseWrite() }

// Close ends the attachment.
func (e *Exec) Close() error {
	e.once.Do(e.hj.Close)
	return nil
}

// Resize sets the command's terminal size.
func (e *Exec) Resize(ctx context.Context, rows, cols uint) error {
	if err := e.r.cli.ContainerExecResize(ctx, e.id, container.ResizeOptions{Height: rows, Width: cols}); err != nil {
		return fmt.Errorf("docker: exec resize %s: %w", short(e.id), err)
	}
	return nil
}

// ExitCode is the command's exit status once its output ended; running
// is true while the engine still reports it alive.
func (e *Exec) ExitCode(ctx context.Context) (code int, running bool, err error) {
	in, err := e.r.cli.ContainerExecInspect(ctx, e.id)
	if err != nil {
		return 0, false, fmt.Errorf("docker: exec inspect %s: %w", short(e.id), err)
	}
	return in.ExitCode, in.Running, nil
}

var _ io.ReadWriteCloser = (*Exec)(nil)

// short is an engine id as docker ps shows it.
func short(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
