// Package retry is the target decorator that retries transient errors with
// exponential backoff and jitter, within a bounded number of attempts and
// time. Not-found and permanent errors (including ctx cancellation) are
// returned at once.
package retry

import (
	"context"
	"fmt"
	"github.com/plinth-storage/plinth/internal/backoff"
	"time"

	"github.com/plinth-storage/plinth/internal/target"
)

var (
	_ target.Target     = (*Target)(nil)
	_ target.DirRemover = (*Target)(nil)
)

// Options bound the retries. Zero fields take the defaults.
type Options struct {
	MaxAttempts  int           // total tries per call; default 5
	MaxElapsed   time.Duration // no retry starts after this; default 2 min
	InitialDelay time.Duration // first backoff; default 200 ms
	MaxDelay     time.Duration // backoff cap; default 15 s
	// OnRetry, if set, is told about each failed attempt that will be
	// retried (for logging); it must not block.
	OnRetry func(op, key string, attempt int, err error, delay time.Duration)
}

func (o Options) withDefaults() Options {
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.MaxElapsed <= 0 {
		o.MaxElapsed = 2 * time.Minute
	}
	if o.InitialDelay <= 0 {
		o.InitialDelay = 200 * time.Millisecond
	}
	if o.MaxDelay <= 0 {
		o.MaxDelay = 15 * time.Second
	}
	return o
}

// Target retries the calls of the target it wraps.
type Target struct {
	target.Target
	opts Options
}

// Wrap returns t with retries.
func Wrap(t target.Target, opts Options) *Target {
	return &Target{Target: t, opts: opts.withDefaults()}
}

// Unwrap returns the wrapped target.
func (r *Target) Unwrap() target.Target { return r.Target }

// delay is the backoff before retry number attempt (1-based): exponential,
// capped, with the upper half jittered so parallel callers spread out.
func (r *Target) delay(attempt int) time.Duration {
	return backoff.Jitter(backoff.Exp(r.opts.InitialDelay, r.opts.MaxDelay, attempt))
}

// do runs call until it succeeds, fails with a non-transient error, or the
// attempt or time budget is spent.
func (r *Target) do(ctx context.Context, op, key string, call func() error) error {
	start := time.Now()
	for attempt := 1; ; attempt++ {
		err := call()
		if err == nil || !target.IsTransient(err) {
			return err
		}
		d := r.delay(attempt)
		if attempt >= r.opts.MaxAttempts || time.Since(start)+d > r.opts.MaxElapsed {
			return fmt.Errorf("gave up after %d attempts in %v: %w", attempt, time.Since(start).Round(time.Millisecond), err)
		}
		if r.opts.OnRetry != nil {
			r.opts.OnRetry(op, key, attempt, err, d)
		}
		timer := time.NewTimer(d)
		select {
		case <-ctx.Done():
			timer.Stop()
			return target.NewError(op, key, target.KindPermanent, fmt.Errorf("%w while waiting to retry after: %v", ctx.Err(), err))
		case <-timer.C:
		}
	}
}
