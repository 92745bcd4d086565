// Package redial keeps the one connection (a session) that a driver's
// calls share, dials it on first use and dials it again on the first call
// after it broke, so a server restart costs the calls in flight an error
// but needs no new driver. It is used by the drivers whose protocol has a
// session to set up (nfs: a mount, cifs: an SMB logon and tree connect).
package redial

import (
	"context"
	"sync"
)

// Session is a connection a Holder manages. Sessions are compared by
// identity, so S is normally a pointer type.
type Session interface {
	comparable
	// Broken reports whether the session can no longer be used (its
	// connection failed); Get then dials a new one.
	Broken() bool
	// Close releases the session. It may block for a short while.
	Close()
}

// Holder holds the current session of a driver. Its methods are safe for
// concurrent use.
type Holder[S Session] struct {
	dial      func(ctx context.Context) (S, error)
	errClosed error

	dialing chan struct{} // one token: only one caller dials at a time

	mu     sync.Mutex
	sess   S // the zero S when there is none
	closed bool
}

// New returns a Holder that makes sessions with dial and fails every Get
// with errClosed after Close. It dials nothing yet.
func New[S Session](dial func(ctx context.Context) (S, error), errClosed error) *Holder[S] {
	return &Holder[S]{dial: dial, errClosed: errClosed, dialing: make(chan struct{}, 1)}
}

// current returns the current session and whether the Holder is closed.
func (h *Holder[S]) current() (S, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sess, h.closed
}

// Get returns the current session if it is not broken, and otherwise
// closes the broken one and dials a new one. While one caller dials,
// others wait for it (or for their ctx, returning ctx.Err()) and then use
// its session. Dial errors are returned unchanged and nothing is kept, so
// the next Get dials again.
func (h *Holder[S]) Get(ctx context.Context) (S, error) {
	var zero S
	if s, closed := h.current(); !closed && s != zero && !s.Broken() {
		return s, nil // fast path: no token needed
	}
	select {
	case h.dialing <- struct{}{}:
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	defer func() { <-h.dialing }()
	s, closed := h.current()
	switch {
	case closed:
		return zero, h.errClosed
	case s != zero && !s.Broken():
		return s, nil // dialled by the caller we waited for
	case s != zero:
		h.Forget(s)
		s.Close()
	}
	s, err := h.dial(ctx)
	if err != nil {
		return zero, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		s.Close()
		return zero, h.errClosed
	}
	h.sess = s
	return s, nil
}

// Forget makes the next Get dial a new session if s is still the current
// one. The caller closes s, at once or in the background (closing may
// block on a server that stopped answering).
func (h *Holder[S]) Forget(s S) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.sess == s {
		var zero S
		h.sess = zero
	}
}

// Close closes the current session, if any, and makes every later Get
// fail with the Holder's errClosed.
func (h *Holder[S]) Close() {
	h.mu.Lock()
	s := h.sess
	var zero S
	h.sess, h.closed = zero, true
	h.mu.Unlock()
	if s != zero {
		s.Close()
	}
}
