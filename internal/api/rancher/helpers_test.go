package rancher

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

// longhornSchemas registers the backing-image types as the API layer will.
func longhornSchemas() *Schemas {
	s := NewSchemas()
	bi := s.Add("backingImage", apitypes.BackingImage{})
	bi.CollectionMethods = []string{"GET", "POST"}
	bi.ResourceMethods = []string{"GET", "DELETE"}
	bi.ResourceActions["backingImageCleanup"] = Action{Input: "backingImageCleanupInput", Output: "backingImage"}
	bi.ResourceActions["upload"] = Action{}
	bi.ResourceLinks = []string{"download"}
	bi.CollectionActions["backupBackingImageBatchCreate"] = Action{Input: "backupBackingImageBatchCreateInput"}
	bi.Field("name").Required = true
	bi.Field("name").Unique = true
	bi.Field("name").Create = true
	// Registered after backingImage on purpose: the map field must still
	// be named after it.
	s.Add("backingImageDiskFileStatus", apitypes.DiskFileStatus{})
	s.Add("backingImageCleanupInput", apitypes.BackingImageCleanupInput{})
	bt := s.Add("backupTarget", apitypes.BackupTarget{})
	bt.Field("pollInterval").Default = "300"
	bt.Field("credentialSecret").Default = ""
	return s
}

// get performs a GET through h and decodes the JSON reply into a generic
// map, failing the test on a non-JSON body.
func get(t *testing.T, h http.Handler, path string, hdr map[string]string) (int, map[string]any) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	req.Host = "10.42.0.5:9500"
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rr := httptest.NewRecorder()
	h.ServeHTTP(rr, req)
	return rr.Code, decode(t, rr.Body)
}

func decode(t *testing.T, r io.Reader) map[string]any {
	t.Helper()
	var m map[string]any
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading reply: %v", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("reply is not a JSON object: %v: %q", err, b)
	}
	return m
}

// obj walks nested JSON objects by key.
func obj(t *testing.T, m map[string]any, keys ...string) map[string]any {
	t.Helper()
	for _, k := range keys {
		next, ok := m[k].(map[string]any)
		if !ok {
			t.Fatalf("key %q: want an object, got %T (%v)", k, m[k], m[k])
		}
		m = next
	}
	return m
}
