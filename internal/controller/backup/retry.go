package backup

import (
	"context"
	"errors"
	"fmt"
	"github.com/plinth-storage/plinth/internal/backoff"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/backupstore/lock"
	"github.com/plinth-storage/plinth/internal/errkind"
	"github.com/plinth-storage/plinth/internal/settings"
	"github.com/plinth-storage/plinth/internal/target"
)

// retryInitial is the backoff before the second attempt (before jitter).
var retryInitial = 2 * time.Second

// permanentError marks a failure that retrying cannot heal.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// permanent marks err as not worth retrying.
func permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

// retryable reports whether a failed backup or restore may succeed when
// tried again: a lost or contended store lock, a target that cannot be
// opened yet, and errors the target classified transient are; conflicting
// or corrupt content, a changed source, a missing image or target,
// permanent target errors and unclassified (local) errors are not.
func retryable(err error) bool {
	var pe *permanentError
	switch {
	case err == nil, errors.As(err, &pe):
		return false
	case errors.Is(err, backupstore.ErrChecksumConflict), errors.Is(err, backupstore.ErrSourceChanged),
		errors.Is(err, backupstore.ErrChecksumMismatch), errors.Is(err, backupstore.ErrNotFound),
		errors.Is(err, backupstore.ErrInProgress):
		return false
	case errors.Is(err, lock.ErrLost), errors.Is(err, lock.ErrConflict):
		return true
	case errors.Is(err, errkind.KindNotFound):
		return false
	case errors.Is(err, errkind.KindUnavailable):
		return true
	}
	var te *target.Error
	return errors.As(err, &te) && target.KindOf(err) == target.KindTransient
}

// retryPolicy is the retry budget from the settings.
type retryPolicy struct {
	MaxAttempts int
	MaxInterval time.Duration
}

func policyOf(ctx context.Context, s *settings.Store) retryPolicy {
	p := retryPolicy{MaxAttempts: 10, MaxInterval: 300 * time.Second}
	if s != nil {
		p.MaxAttempts = s.Int(ctx, settings.BackupRetryMaxAttempts)
		p.MaxInterval = time.Duration(s.Int(ctx, settings.BackupRetryMaxInterval)) * time.Second
	}
	return p
}

// backoff is the wait after failed attempt number attempt (1-based):
// exponential from retryInitial, capped at MaxInterval, with the upper
// half jittered so many failing operations spread out.
func (p retryPolicy) backoff(attempt int) time.Duration {
	return backoff.Jitter(backoff.Exp(retryInitial, p.MaxInterval, attempt))
}

// retryMessage is the status message of an operation waiting to retry.
func retryMessage(wait time.Duration, attempt int, err error) string {
	return fmt.Sprintf("retrying in %s (attempt %d) after: %v", wait.Round(time.Second), attempt+1, err)
}
