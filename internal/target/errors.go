package target

import (
	"context"
	"errors"
	"fmt"
)

// Kind classifies a target error so callers can act on it without knowing
// the driver.
type Kind int

const (
	// KindTransient errors may succeed when retried (timeouts, connection
	// resets, 5xx, throttling, ESTALE after a server restart).
	KindTransient Kind = iota
	// KindNotFound means the object or directory does not exist.
	KindNotFound
	// KindPermanent errors will fail again the same way until a person acts
	// (bad credentials, permission denied, no such bucket, disk full).
	KindPermanent
)

// String names the kind for messages and metrics labels.
func (k Kind) String() string {
	switch k {
	case KindNotFound:
		return "not-found"
	case KindPermanent:
		return "permanent"
	default:
		return "transient"
	}
}

// ErrNotFound is the sentinel every not-found error wraps.
var ErrNotFound = errors.New("not found")

// Error is the classified error drivers return.
type Error struct {
	Op   string // "put", "get", "stat", "list", "walk", "delete", "check"
	Key  string
	Kind Kind
	Err  error
}

// Error formats as "<op> <key>: <cause>".
func (e *Error) Error() string {
	if e.Key == "" {
		return fmt.Sprintf("%s: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("%s %s: %v", e.Op, e.Key, e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Is makes errors.Is(err, ErrNotFound) true for KindNotFound errors.
func (e *Error) Is(target error) bool { return target == ErrNotFound && e.Kind == KindNotFound }

// NewError builds a classified error. A ctx cancellation cause is always
// classified permanent so retry loops stop.
func NewError(op, key string, kind Kind, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		kind = KindPermanent
	}
	return &Error{Op: op, Key: key, Kind: kind, Err: err}
}

// KindOf returns the kind of err; unclassified errors count as transient.
func KindOf(err error) Kind {
	var te *Error
	if errors.As(err, &te) {
		return te.Kind
	}
	if errors.Is(err, ErrNotFound) {
		return KindNotFound
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return KindPermanent
	}
	return KindTransient
}

// IsNotFound reports whether err means the key does not exist.
func IsNotFound(err error) bool { return err != nil && KindOf(err) == KindNotFound }

// IsTransient reports whether retrying err may help.
func IsTransient(err error) bool { return err != nil && KindOf(err) == KindTransient }

// IsPermanent reports whether err will recur until a person acts.
func IsPermanent(err error) bool { return err != nil && KindOf(err) == KindPermanent }
