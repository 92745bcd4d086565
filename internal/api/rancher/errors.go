package rancher

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

// HTTPError is an error that knows the HTTP status it should be answered
// with. Msg becomes the error envelope's message: it must say what failed
// and what to do, and must never contain a secret. Err is the optional cause,
// kept for errors.Is/As; the client only sees Msg.
type HTTPError struct {
	Status int
	Msg    string
	Err    error
}

// Error returns Msg.
func (e *HTTPError) Error() string { return e.Msg }

// Unwrap returns the cause, if any.
func (e *HTTPError) Unwrap() error { return e.Err }

// Errorf returns an *HTTPError with the given status whose message is
// formatted as fmt.Errorf formats it; %w keeps the cause reachable through
// errors.Is/As.
func Errorf(status int, format string, args ...any) error {
	err := fmt.Errorf(format, args...)
	return &HTTPError{Status: status, Msg: err.Error(), Err: err}
}

// BadRequest is a 400: the request itself is malformed (bad JSON, bad name).
func BadRequest(format string, args ...any) error {
	return Errorf(http.StatusBadRequest, format, args...)
}

// NotFound is a 404: the named resource does not exist.
func NotFound(format string, args ...any) error {
	return Errorf(http.StatusNotFound, format, args...)
}

// Conflict is a 409: the request clashes with existing state (a duplicate,
// a lost compare-and-swap). Longhorn's clients retry 409 on updates and
// actions, so use it only when a retry can succeed or is harmless.
func Conflict(format string, args ...any) error {
	return Errorf(http.StatusConflict, format, args...)
}

// Unprocessable is a 422: well-formed input that is not valid (a source
// type that does not exist, a missing required parameter).
func Unprocessable(format string, args ...any) error {
	return Errorf(http.StatusUnprocessableEntity, format, args...)
}

// Unavailable is a 503: a dependency (etcd, a backup target) cannot be
// reached right now; the same request may succeed later.
func Unavailable(format string, args ...any) error {
	return Errorf(http.StatusServiceUnavailable, format, args...)
}

// StatusOf returns the HTTP status err should be answered with: the status
// of an *HTTPError in its chain, 413 for an *http.MaxBytesError, else 500.
func StatusOf(err error) int {
	var he *HTTPError
	if errors.As(err, &he) && he.Status >= 400 && he.Status <= 599 {
		return he.Status
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// WriteErr answers with the error envelope for err, using StatusOf for the
// status and err's message. Server-side failures (5xx) are logged, since
// they mean something the client cannot fix went wrong.
func WriteErr(w http.ResponseWriter, r *http.Request, err error) {
	status := StatusOf(err)
	if status >= http.StatusInternalServerError {
		loggerFrom(r).LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.Int("status", status), slog.String("error", err.Error()))
	}
	WriteError(w, r, status, err.Error())
}

// errorBody is the error envelope: a resource of type "error" without id.
type errorBody struct {
	apitypes.Resource
	Status  int    `json:"status"`
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  string `json:"detail"`
}

// WriteError answers with status and the error envelope
// {"type":"error","status","code","message","detail","links":{"self"},"actions":{}},
// where code is the status's reason phrase and links.self the request URL.
func WriteError(w http.ResponseWriter, r *http.Request, status int, msg string) {
	code := http.StatusText(status)
	if code == "" {
		code = "Error"
	}
	body := errorBody{
		Resource: apitypes.Resource{
			Type:    "error",
			Links:   map[string]string{"self": URLsFor(r).Request()},
			Actions: map[string]string{},
		},
		Status:  status,
		Code:    code,
		Message: msg,
	}
	b, err := encode(body)
	if err != nil {
		// errorBody holds only strings and ints; this cannot fail.
		panic(fmt.Sprintf("rancher: encoding an error envelope: %v", err))
	}
	send(w, r, status, b)
}
