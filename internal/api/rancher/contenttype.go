package rancher

import (
	"fmt"
	"mime"
	"net/http"
)

// UploadAction is the ?action= value of the one write whose body is not
// JSON: a backing image's content.
const UploadAction = "upload"

// checkContentType returns why a state-changing request's body may not be
// read, or "" when it may. A body-less request passes whatever it claims.
// A body without Content-Type passes: Longhorn's Python client sends JSON
// that way, and a browser cannot send a cross-site body without one except
// through fetch, which always adds Origin (refused before this check).
func checkContentType(r *http.Request) string {
	if isSafeMethod(r.Method) || r.ContentLength == 0 {
		return ""
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return ""
	}
	mt, _, err := mime.ParseMediaType(ct)
	if r.URL.Query().Get("action") == UploadAction {
		if err == nil && (mt == "multipart/form-data" || mt == "application/octet-stream") {
			return ""
		}
		return fmt.Sprintf("unsupported Content-Type %q for an upload: send multipart/form-data with the image in field chunk, or application/octet-stream", ct)
	}
	if err == nil && mt == "application/json" {
		return ""
	}
	return fmt.Sprintf("unsupported Content-Type %q: the API reads JSON; send Content-Type: application/json (curl: -H 'Content-Type: application/json')", ct)
}

// isSafeMethod reports whether method never changes state.
func isSafeMethod(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return true
	}
	return false
}
