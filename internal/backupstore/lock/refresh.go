package lock

import (
	"context"
	"fmt"
	"time"
)

// refresh rewrites the lock file every Refresh so peers keep seeing a
// fresh server mtime. A failed rewrite is retried every few seconds; if no
// rewrite has succeeded by the time peers could consider the lock expired
// (minus a margin), the lock is declared lost and the holder's Context is
// cancelled with ErrLost, so the protected work stops instead of running
// unprotected (upstream only logs, reference §11.2).
func (l *Locker) refresh(h *Held, name string, t Type) {
	defer close(h.done)
	body := encodeBody(name, t, true)
	margin := max(l.cfg.Expiry/5, 2*l.cfg.CheckWait)
	lastOK := time.Now()
	retry := min(l.cfg.Refresh, 5*time.Second)
	next := l.cfg.Refresh
	for {
		timer := time.NewTimer(next)
		select {
		case <-h.stop:
			timer.Stop()
			return
		case <-timer.C:
		}
		started := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), l.cfg.Refresh)
		err := l.tgt.Put(ctx, h.key, body)
		cancel()
		if err == nil {
			lastOK, next = started, l.cfg.Refresh
			continue
		}
		if time.Since(lastOK) > l.cfg.Expiry-margin {
			h.cancel(fmt.Errorf("%w (%s): last error: %v", ErrLost, h.key, err))
			return
		}
		next = retry
	}
}

// Release stops refreshing, removes the lock file and cancels Context.
// It is safe to call more than once; only the first call acts. The
// returned error (a failed delete, or a failed journal update after the
// delete) is informational: the file expires, the journal entry is harmless.
func (h *Held) Release(ctx context.Context) error {
	var err error
	h.once.Do(func() { err = h.release(ctx) })
	return err
}

func (h *Held) release(ctx context.Context) error {
	close(h.stop)
	<-h.done
	h.cancel(context.Canceled)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := h.l.tgt.Delete(ctx, h.key); err != nil {
		return fmt.Errorf("remove lock file %s (it expires by itself): %w", h.key, err)
	}
	return h.l.journalRemove(h.key)
}
