package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync/atomic"
	"time"
)

// errStalled is the cause recorded when no byte arrived for the stall
// timeout.
var errStalled = errors.New("stalled")

// stallWatch cancels an attempt when no progress is made for timeout. Kick
// it on every byte received; Stop it when the attempt ends.
type stallWatch struct {
	timeout time.Duration
	timer   *time.Timer
	fired   atomic.Bool
}

func newStallWatch(timeout time.Duration, cancel context.CancelFunc) *stallWatch {
	s := &stallWatch{timeout: timeout}
	s.timer = time.AfterFunc(timeout, func() {
		s.fired.Store(true)
		cancel()
	})
	return s
}

func (s *stallWatch) kick() { s.timer.Reset(s.timeout) }

func (s *stallWatch) stop() { s.timer.Stop() }

// explain replaces the cancellation error of a stalled attempt by a message
// that says what happened and what to do.
func (s *stallWatch) explain(err error) error {
	if err != nil && s.fired.Load() {
		return fmt.Errorf("%w: no data for %s (the server stopped sending; check it, or raise the stall timeout)", errStalled, s.timeout)
	}
	return err
}

// sourceError marks an error that came from reading the response, as
// opposed to writing into the sink; the former is worth a retry.
type sourceError struct{ err error }

func (e *sourceError) Error() string { return e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// bodyReader feeds the sink from the response body: it kicks the stall
// watch, reports progress and tags read errors as sourceErrors.
type bodyReader struct {
	body     io.Reader
	watch    *stallWatch
	progress func(n int)
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if n > 0 {
		b.watch.kick()
		b.progress(n)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		return n, &sourceError{err: b.watch.explain(err)}
	}
	return n, err
}
