package backupstore

import (
	"context"
	"fmt"
	"github.com/plinth-storage/plinth/internal/backoff"
	"time"

	"github.com/plinth-storage/plinth/internal/target"
)

// getRetryInitial and getRetryMax bound the backoff of getRetrying.
var (
	getRetryInitial = 500 * time.Millisecond
	getRetryMax     = 10 * time.Second
)

// getRetrying reads key, retrying transient errors with jittered
// exponential backoff for up to budget (0: one call). Not-found and
// permanent errors, and ctx ending, return at once.
func getRetrying(ctx context.Context, tgt target.Target, key string, budget time.Duration) ([]byte, error) {
	start := time.Now()
	d := getRetryInitial
	for attempt := 1; ; attempt++ {
		data, err := tgt.Get(ctx, key)
		if err == nil || !target.IsTransient(err) || ctx.Err() != nil {
			return data, err
		}
		wait := backoff.Jitter(d)
		if time.Since(start)+wait > budget {
			if attempt > 1 {
				err = fmt.Errorf("still failing after %d attempts in %s: %w", attempt, time.Since(start).Round(time.Second), err)
			}
			return nil, err
		}
		if backoff.Sleep(ctx, wait) != nil {
			return nil, err
		}
		d = min(2*d, getRetryMax)
	}
}
