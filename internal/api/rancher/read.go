package rancher

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/plinth-storage/plinth/internal/errkind"
)

// MaxInputBytes caps a JSON request body. Bodies are small inputs (names,
// parameters); image bytes go through the upload route, not ReadInput.
const MaxInputBytes = 1 << 20

// ReadInput decodes the JSON request body into v (a pointer). The body is
// decoded whatever the Content-Type, since Longhorn's client sends none;
// Guard, in front of the handlers, refuses bodies of any type but JSON. A
// missing, empty or all-whitespace body reads as {}; unknown fields are
// ignored (clients send extra ones). Errors are *errkind.Error values ready for
// WriteErr: 400 for malformed JSON or a failed read, 413 for a body over
// MaxInputBytes. A v that is not a non-nil pointer is a programming error
// (500).
func ReadInput(r *http.Request, v any) error {
	var body []byte
	if r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, MaxInputBytes+1))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return tooLarge(err)
			}
			return errkind.BadRequest("reading the request body failed: %w", err)
		}
		if len(b) > MaxInputBytes {
			return tooLarge(nil)
		}
		body = bytes.TrimSpace(b)
	}
	if len(body) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, v); err != nil {
		var iue *json.InvalidUnmarshalError
		if errors.As(err, &iue) {
			return fmt.Errorf("reading the request body into %T: %w", v, err)
		}
		return errkind.BadRequest("invalid JSON body: %w", err)
	}
	return nil
}

func tooLarge(cause error) error {
	return &errkind.Error{
		Kind: errkind.KindTooLarge,
		Msg:  fmt.Sprintf("request body is larger than %d bytes: send a smaller JSON input", MaxInputBytes),
		Err:  cause,
	}
}
