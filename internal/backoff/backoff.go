// Package backoff holds the few pieces every retry loop in plinth shares:
// exponential growth with a cap, jitter, and a wait that ends with its
// context. Each loop keeps its own policy (budgets, what is retried); only
// the arithmetic and the waiting live here, so they behave the same
// everywhere.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Exp is the wait before retry number attempt (1-based): initial doubled
// per attempt, capped at max (also when the doubling overflows).
func Exp(initial, max time.Duration, attempt int) time.Duration {
	d := initial << min(attempt-1, 30)
	if d <= 0 || d > max {
		d = max
	}
	return d
}

// Jitter returns a duration in [d/2, d]: the upper half is random, so many
// callers failing at once spread out instead of retrying in step.
func Jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}

// Sleep waits d and returns nil, or returns ctx.Err() as soon as ctx ends
// (at once when it has already ended or d <= 0 and ctx is done).
func Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
