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
		h.lastWrite = time.Now() // even a failed write may have landed
		if err == nil {
			lastOK, next = started, l.cfg.Refresh
			continue
		}
		h.failedWrite = true
		if time.Since(lastOK) > l.cfg.Expiry-margin {
			h.cancel(fmt.Errorf("%w (%s): last error: %v", ErrLost, h.key, err))
			return
		}
		next = retry
	}
}

// Release stops refreshing, cancels Context and deletes the lock file.
// It is safe to call more than once; only the first call acts, and it
// returns within about releaseTimeout (30 s) whatever the target does.
//
// It returns nil once the file is deleted and removed from the journal (a
// failed journal update is returned, and is harmless). If the delete
// fails (the server is down, ctx ended), the lock is not forgotten: it
// stays in the journal and a background releaser of the Locker keeps
// deleting it, with jittered exponential backoff, until a delete
// succeeds, the lock's own expiry has passed (peers ignore it from then
// on and the journal removes it at the next start) or Locker.Close is
// called. The returned error then wraps ErrReleasePending; the caller
// need do nothing about it.
func (h *Held) Release(ctx context.Context) error {
	var err error
	h.once.Do(func() { err = h.release(ctx) })
	return err
}

func (h *Held) release(ctx context.Context) error {
	close(h.stop)
	<-h.done
	h.cancel(context.Canceled)
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), releaseTimeout)
	defer cancel()
	if err := h.l.tgt.Delete(ctx, h.key); err != nil {
		if !h.l.releaseLater(h.key, h.lastWrite.Add(h.l.cfg.Expiry)) {
			return fmt.Errorf("remove lock file %s (the locker is closed: the file expires by itself and the journal removes it at the next start): %w", h.key, err)
		}
		return fmt.Errorf("remove lock file %s: %w; %w", h.key, err, ErrReleasePending)
	}
	if h.failedWrite {
		// A refresh that failed may land after this delete and re-create the
		// file; the background releaser deletes it once more shortly after.
		h.l.releaseLater(h.key, h.lastWrite.Add(h.l.cfg.Expiry))
		return nil
	}
	return h.l.journalRemove(h.key)
}
