// Package apierr carries an HTTP status with an error from the layers below
// the API (controllers, validation) to the API, which renders it. Any error
// that is not an *Error is a server fault (500).
package apierr

import (
	"errors"
	"fmt"
	"net/http"
)

// Error is a client-facing error: Status is the HTTP status to answer with,
// Msg says what was wrong and what to do (never a secret), and Err is the
// optional cause, kept for errors.Is/As; clients only see Msg.
type Error struct {
	Status int
	Msg    string
	Err    error
}

// Error returns Msg.
func (e *Error) Error() string { return e.Msg }

// Unwrap returns the cause, if any.
func (e *Error) Unwrap() error { return e.Err }

// newf formats as fmt.Errorf does: %w keeps the cause reachable.
func newf(status int, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &Error{Status: status, Msg: err.Error(), Err: errors.Unwrap(err)}
}

// BadRequest is a malformed request (400).
func BadRequest(format string, args ...any) error {
	return newf(http.StatusBadRequest, format, args...)
}

// NotFound names something that does not exist (404).
func NotFound(format string, args ...any) error { return newf(http.StatusNotFound, format, args...) }

// Conflict is a request that clashes with the current state (409).
func Conflict(format string, args ...any) error { return newf(http.StatusConflict, format, args...) }

// Invalid is a well-formed request whose values are unacceptable (422).
func Invalid(format string, args ...any) error {
	return newf(http.StatusUnprocessableEntity, format, args...)
}

// Unavailable is a request that needs something currently unreachable (503).
func Unavailable(format string, args ...any) error {
	return newf(http.StatusServiceUnavailable, format, args...)
}

// StatusOf returns the HTTP status for err: its own for an *Error, 500
// otherwise.
func StatusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Status
	}
	return http.StatusInternalServerError
}
