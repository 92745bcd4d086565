package rancher

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/plinth-storage/plinth/internal/apierr"
	"github.com/plinth-storage/plinth/internal/apitypes"
)

// HTTPError is an error that knows the HTTP status it should be answered
// with: the one such type of the project, shared with the layers below the
// API (apierr), whose constructors (apierr.BadRequest, NotFound, Conflict,
// Invalid, Unavailable) build it.
type HTTPError = apierr.Error

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
