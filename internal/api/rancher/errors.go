package rancher

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/errkind"
)

// statusOfKind is the one place an error kind becomes an HTTP status.
var statusOfKind = map[errkind.Kind]int{
	errkind.KindBadRequest:          http.StatusBadRequest,
	errkind.KindInvalid:             http.StatusUnprocessableEntity,
	errkind.KindNotFound:            http.StatusNotFound,
	errkind.KindConflict:            http.StatusConflict,
	errkind.KindUnavailable:         http.StatusServiceUnavailable,
	errkind.KindInsufficientStorage: http.StatusInsufficientStorage,
	errkind.KindTooLarge:            http.StatusRequestEntityTooLarge,
	errkind.KindTimeout:             http.StatusRequestTimeout,
	errkind.KindUnsupportedMedia:    http.StatusUnsupportedMediaType,
}

// StatusOf returns the HTTP status err should be answered with: the status
// of the kind of the first *errkind.Error in its chain, 413 for an
// *http.MaxBytesError, else 500.
func StatusOf(err error) int {
	if status, ok := statusOfKind[errkind.Of(err)]; ok {
		return status
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
