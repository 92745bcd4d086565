package redial

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

type fakeSession struct {
	id     int
	broken atomic.Bool
	closed atomic.Int32
}

func (s *fakeSession) Broken() bool { return s.broken.Load() }
func (s *fakeSession) Close()       { s.closed.Add(1) }

var errTestClosed = errors.New("test target is closed")

// dialer counts dials and hands out new sessions, or err while it is set.
type dialer struct {
	mu    sync.Mutex
	n     int
	last  *fakeSession
	err   error
	block chan struct{} // when set, dial waits for it to close
}

func (d *dialer) dial(ctx context.Context) (*fakeSession, error) {
	if d.block != nil {
		<-d.block
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return nil, d.err
	}
	d.n++
	d.last = &fakeSession{id: d.n}
	return d.last, nil
}

func mustGet(t *testing.T, h *Holder[*fakeSession]) *fakeSession {
	t.Helper()
	s, err := h.Get(t.Context())
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return s
}

func TestGetDialsOnceForConcurrentCallers(t *testing.T) {
	d := &dialer{}
	h := New(d.dial, errTestClosed)
	var wg sync.WaitGroup
	got := make([]*fakeSession, 16)
	for i := range got {
		wg.Go(func() { got[i] = mustGet(t, h) })
	}
	wg.Wait()
	for _, s := range got {
		if s != got[0] {
			t.Fatalf("concurrent Gets returned different sessions")
		}
	}
	if d.n != 1 {
		t.Fatalf("%d dials for concurrent Gets, want 1", d.n)
	}
}

func TestBrokenSessionIsClosedAndRedialled(t *testing.T) {
	d := &dialer{}
	h := New(d.dial, errTestClosed)
	s1 := mustGet(t, h)
	s1.broken.Store(true)
	s2 := mustGet(t, h)
	if s2 == s1 || s1.closed.Load() != 1 || d.n != 2 {
		t.Fatalf("after the session broke: new session %v, old closed %d times, %d dials", s2 != s1, s1.closed.Load(), d.n)
	}
}

func TestForgetRedialsWithoutClosing(t *testing.T) {
	d := &dialer{}
	h := New(d.dial, errTestClosed)
	s1 := mustGet(t, h)
	h.Forget(s1)
	s2 := mustGet(t, h)
	if s2 == s1 || s1.closed.Load() != 0 {
		t.Fatalf("after Forget: new session %v, old closed %d times (the caller closes it)", s2 != s1, s1.closed.Load())
	}
	h.Forget(s1) // no longer current: no effect
	if mustGet(t, h) != s2 {
		t.Fatal("Forget of an old session dropped the current one")
	}
}

func TestDialErrorIsNotKept(t *testing.T) {
	refused := errors.New("refused")
	d := &dialer{err: refused}
	h := New(d.dial, errTestClosed)
	if _, err := h.Get(t.Context()); err != refused {
		t.Fatalf("Get with dial failing = %v, want the dial error", err)
	}
	d.err = nil
	if s := mustGet(t, h); s.id != 1 {
		t.Fatalf("Get after the server came back returned session %d", s.id)
	}
}

func TestClose(t *testing.T) {
	d := &dialer{}
	h := New(d.dial, errTestClosed)
	s := mustGet(t, h)
	h.Close()
	if s.closed.Load() != 1 {
		t.Fatalf("Close closed the session %d times, want 1", s.closed.Load())
	}
	if _, err := h.Get(t.Context()); err != errTestClosed {
		t.Fatalf("Get after Close = %v, want errClosed", err)
	}
	New(d.dial, errTestClosed).Close() // nothing dialled yet
}

// TestWaitingGetHonoursCtx checks that a caller waiting for another's dial
// gives up with its ctx.
func TestWaitingGetHonoursCtx(t *testing.T) {
	d := &dialer{block: make(chan struct{})}
	h := New(d.dial, errTestClosed)
	done := make(chan struct{})
	go func() { defer close(done); mustGet(t, h) }()
	waitDialing(h)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := h.Get(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get with ctx cancelled while another dials = %v, want context.Canceled", err)
	}
	close(d.block)
	<-done
}

// TestCloseWhileDialing checks that a session dialled after Close is
// closed at once and not handed out.
func TestCloseWhileDialing(t *testing.T) {
	d := &dialer{block: make(chan struct{})}
	h := New(d.dial, errTestClosed)
	errc := make(chan error)
	go func() { _, err := h.Get(t.Context()); errc <- err }()
	waitDialing(h)
	h.Close()
	close(d.block)
	if err := <-errc; err != errTestClosed {
		t.Fatalf("Get whose dial ended after Close = %v, want errClosed", err)
	}
	if d.last.closed.Load() != 1 {
		t.Fatalf("the session dialled after Close was closed %d times, want 1", d.last.closed.Load())
	}
}

// waitDialing returns once a caller holds h's dialling token.
func waitDialing(h *Holder[*fakeSession]) {
	for len(h.dialing) == 0 {
		runtime.Gosched()
	}
}
