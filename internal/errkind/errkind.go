// Package errkind classifies errors by what went wrong, independent of any
// transport: controllers and services return errors built here, and the API
// layer alone chooses the HTTP status for each kind (internal/api/rancher).
// An error without a kind is a server fault.
package errkind

import (
	"errors"
	"fmt"
)

// Kind says what kind of failure an error is, from the client's view.
type Kind int

// The kinds. The zero Kind, KindInternal, is a server fault the client cannot
// fix; every other kind is a request the client can correct or retry.
const (
	KindInternal            Kind = iota // a server fault
	KindBadRequest                      // the request is malformed (unknown action, unparsable body)
	KindInvalid                         // the request is well-formed but a value is unacceptable
	KindNotFound                        // something the request names does not exist
	KindConflict                        // the request clashes with the current state
	KindUnavailable                     // something the request needs is unreachable now; retry later
	KindInsufficientStorage             // no disk has room for what the request would store
	KindTooLarge                        // the request's payload is over a limit
	KindTimeout                         // the client stopped sending before the request was complete
	KindUnsupportedMedia                // the request's payload is of a type that is not accepted
)

var names = [...]string{"Internal", "BadRequest", "Invalid", "NotFound", "Conflict", "Unavailable",
	"InsufficientStorage", "TooLarge", "Timeout", "UnsupportedMedia"}

// String returns the kind's name, e.g. "NotFound".
func (k Kind) String() string {
	if k >= 0 && int(k) < len(names) {
		return names[k]
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Error makes a Kind usable as an errors.Is target: errors.Is(err,
// errkind.KindNotFound) reports whether err's chain holds an *Error of that
// kind.
func (k Kind) Error() string { return k.String() }

// Error is an error of a Kind. Msg says what was wrong and what to do (it is
// shown to clients, so it never holds a secret); Err is the optional cause,
// kept for errors.Is/As.
type Error struct {
	Kind Kind
	Msg  string
	Err  error
}

var _ error = (*Error)(nil)

// Error returns Msg.
func (e *Error) Error() string { return e.Msg }

// Unwrap returns the cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is e's Kind, so that errors.Is(err, KindConflict)
// works through wrapping.
func (e *Error) Is(target error) bool {
	k, ok := target.(Kind)
	return ok && k == e.Kind
}

// New formats as fmt.Errorf does and gives the result kind k: the message is
// the formatted text, and any %w operands stay reachable with errors.Is/As.
func New(k Kind, format string, args ...any) error {
	w := fmt.Errorf(format, args...)
	var cause error
	switch u := w.(type) {
	case interface{ Unwrap() error }:
		cause = u.Unwrap()
	case interface{ Unwrap() []error }:
		cause = w
	}
	return &Error{Kind: k, Msg: w.Error(), Err: cause}
}

// Of returns the kind of the first *Error in err's chain, or KindInternal when
// there is none (including for a nil err).
func Of(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// BadRequest is a malformed request.
func BadRequest(format string, args ...any) error { return New(KindBadRequest, format, args...) }

// Invalid is a well-formed request whose values are unacceptable.
func Invalid(format string, args ...any) error { return New(KindInvalid, format, args...) }

// NotFound names something that does not exist.
func NotFound(format string, args ...any) error { return New(KindNotFound, format, args...) }

// Conflict is a request that clashes with the current state.
func Conflict(format string, args ...any) error { return New(KindConflict, format, args...) }

// Unavailable is a request that needs something currently unreachable.
func Unavailable(format string, args ...any) error { return New(KindUnavailable, format, args...) }

// InsufficientStorage is a request that needs more room than any disk has.
func InsufficientStorage(format string, args ...any) error {
	return New(KindInsufficientStorage, format, args...)
}

// TooLarge is a request whose payload is over a limit.
func TooLarge(format string, args ...any) error { return New(KindTooLarge, format, args...) }

// Timeout is a request whose payload stopped arriving.
func Timeout(format string, args ...any) error { return New(KindTimeout, format, args...) }

// UnsupportedMedia is a request whose payload type is not accepted.
func UnsupportedMedia(format string, args ...any) error {
	return New(KindUnsupportedMedia, format, args...)
}
