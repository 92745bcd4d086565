package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

// APIError is a non-2xx reply of the server. Message is the server's own
// explanation (what failed and what to do); Code is the reason phrase.
type APIError struct {
	Status  int
	Code    string
	Message string
}

// Error returns the server's message and the status code.
func (e *APIError) Error() string {
	return fmt.Sprintf("%s (HTTP %d)", e.Message, e.Status)
}

// IsNotFound reports whether err is, or wraps, an APIError with status 404.
func IsNotFound(err error) bool { return hasStatus(err, http.StatusNotFound) }

// IsConflict reports whether err is, or wraps, an APIError with status 409.
func IsConflict(err error) bool { return hasStatus(err, http.StatusConflict) }

func hasStatus(err error, status int) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.Status == status
}

// decodeError reads an error reply: the apitypes.Error envelope when the
// body holds one, otherwise the body text (bounded), otherwise the status.
func decodeError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	e := &APIError{Status: resp.StatusCode, Code: http.StatusText(resp.StatusCode)}
	var env apitypes.Error
	if json.Unmarshal(body, &env) == nil && env.Message != "" {
		e.Message = env.Message
		if env.Code != "" {
			e.Code = env.Code
		}
		return e
	}
	text := strings.TrimSpace(string(body))
	if len(text) > 512 {
		text = text[:512] + "..."
	}
	if text == "" {
		text = e.Code
	}
	e.Message = text
	return e
}
