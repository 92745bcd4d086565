package rancher

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

// FuzzReadInput sends arbitrary bodies through ReadInput into a typed
// input and into a generic map. It must never panic; every error must be a
// 4xx for the client (never a 500); and what it accepts is an empty body
// (read as {}) or valid JSON.
func FuzzReadInput(f *testing.F) {
	for _, seed := range []string{
		"", "  \n", "{}", "null", "[]", `"x"`, "{", `{"name":`, "\xff\xfe",
		`{"name":"debian-12","sourceType":"download","parameters":{"url":"https://example.com/d.qcow2"},"expectedChecksum":"ab"}`,
		`{"name":"mine","sourceType":"upload","minNumberOfCopies":"2"}`,
		`{"name":"x","diskSelector":[1,{}],"parameters":{"a":null}}`,
		`{"minNumberOfCopies":1e400}`,
		`{"name":"a"} trailing`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, v := range []any{&apitypes.BackingImageCreateInput{}, &map[string]any{}} {
			req := httptest.NewRequest(http.MethodPost, "/v1/backingimages", bytes.NewReader(body))
			err := ReadInput(req, v)
			if err != nil {
				if s := StatusOf(err); s < 400 || s > 499 {
					t.Fatalf("ReadInput(%q) into %T: status %d (%v), want a 4xx", body, v, s, err)
				}
				continue
			}
			if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && !json.Valid(trimmed) {
				t.Fatalf("ReadInput accepted invalid JSON %q into %T", body, v)
			}
		}
	})
}
