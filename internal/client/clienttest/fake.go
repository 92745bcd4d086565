// Package clienttest is an in-memory fake of plinth's /v1 API for testing
// the layers above it (the client and the CLI) fast. It keeps the resources
// in maps, follows the real API's routes, envelopes, status codes and
// validation rules, and moves long operations forward one step per GET so
// waits can be tested without sleeping. It is not a model of the
// controllers: only what callers observe.
//
// The contract suite (internal/client/contract) holds it to the real
// server: every scenario there passes against both, so where the fake and
// the server could disagree on what the suite covers, they do not.
//
// Scripted behaviour, beyond what the real server does:
//   - images from a URL on a loopback host (tests serve sources with
//     httptest) are really fetched; any other URL is not, and the image goes
//     pending -> in-progress 50% -> ready with a pretend size of 1 GiB over
//     successive GETs (or fails, see FailDownloads);
//   - restores go the same way and end with the backup's content;
//   - backups go InProgress -> Completed on the next GET;
//   - a backup whose name contains "bad" fails verification;
//   - PutImage seeds images in any state.
package clienttest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

// Fake is the fake API server. Its fields may be set before the first
// request; its state is read and changed through its methods.
type Fake struct {
	// URL is the server's base URL (http://127.0.0.1:PORT).
	URL string
	// Token, when set, is required as a bearer token.
	Token string
	// FailDownloads, when set, makes every download-sourced image fail
	// with this message instead of becoming ready.
	FailDownloads string

	mu       sync.Mutex
	images   map[string]*apitypes.BackingImage
	scripted map[string]bool // images that advanceImage moves forward
	content  map[string][]byte
	backups  map[string]*apitypes.BackupBackingImage
	saved    map[string][]byte // content of each backup, for restores
	targets  map[string]*apitypes.BackupTarget
	secrets  map[string]map[string]string
	settings map[string]string
	nodes    map[string]*apitypes.Node
	// uploaded counts bytes received by in-flight uploads, for tests that
	// check streaming.
	uploaded chan int64
	seq      int
}

// New starts a fake on 127.0.0.1 with a default target, one node with one
// disk and every setting at its default; it is closed when t ends.
func New(t testing.TB) *Fake {
	t.Helper()
	f := &Fake{
		images:   map[string]*apitypes.BackingImage{},
		scripted: map[string]bool{},
		content:  map[string][]byte{},
		backups:  map[string]*apitypes.BackupBackingImage{},
		saved:    map[string][]byte{},
		targets:  map[string]*apitypes.BackupTarget{},
		secrets:  map[string]map[string]string{},
		settings: map[string]string{},
		nodes:    map[string]*apitypes.Node{},
		uploaded: make(chan int64, 1024),
	}
	f.seed()
	srv := httptest.NewServer(f.handler())
	t.Cleanup(srv.Close)
	f.URL = srv.URL
	return f
}

func (f *Fake) seed() {
	f.targets["default"] = &apitypes.BackupTarget{Resource: apitypes.Resource{ID: "default", Type: "backupTarget"},
		Name: "default", BackupTargetURL: "file:///tmp/store", PollInterval: "5m0s", Available: true}
	f.nodes["node-1"] = &apitypes.Node{Resource: apitypes.Resource{ID: "node-1", Type: "node"},
		Name: "node-1", Address: "127.0.0.1", AllowScheduling: true,
		Disks: map[string]apitypes.DiskInfo{"default": {
			DiskSpec: apitypes.DiskSpec{Path: "/var/lib/plinth", DiskType: apitypes.DiskTypeFilesystem, AllowScheduling: true},
			DiskUUID: fakeDisk, StorageMaximum: 100 << 30, StorageAvailable: 60 << 30,
		}},
		Conditions: map[string]apitypes.Condition{"Ready": {Type: "Ready", Status: "True"}}}
}

// Image returns a copy of a stored backing image, or nil.
func (f *Fake) Image(name string) *apitypes.BackingImage {
	f.mu.Lock()
	defer f.mu.Unlock()
	bi, ok := f.images[name]
	if !ok {
		return nil
	}
	c := *bi
	return &c
}

// Content returns the bytes uploaded to an image.
func (f *Fake) Content(name string) []byte {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.content[name]
}

// PutImage stores an image as given (with content, may be nil), replacing
// any image of that name. An image given without copies gets one ready
// copy on the fake's disk (a seeded image is an existing, usable one); its
// state never changes by itself.
func (f *Fake) PutImage(bi apitypes.BackingImage, content []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if bi.DiskFileStatusMap == nil {
		bi.DiskFileStatusMap = map[string]*apitypes.DiskFileStatus{
			fakeDisk: {State: apitypes.StateReady, Progress: 100, DataEngine: bi.DataEngine}}
	}
	bi.ID, bi.Type = bi.Name, "backingImage"
	f.images[bi.Name] = &bi
	delete(f.scripted, bi.Name)
	if content != nil {
		f.content[bi.Name] = content
	}
}

// Backup returns a copy of a stored backup, or nil.
func (f *Fake) Backup(name string) *apitypes.BackupBackingImage {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, ok := f.backups[name]
	if !ok {
		return nil
	}
	c := *b
	return &c
}

// SecretData returns the values stored for a secret (what the real server
// never reveals; tests use it to check what was sent).
func (f *Fake) SecretData(name string) map[string]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.secrets[name]
}

// Node returns a copy of a stored node, or nil.
func (f *Fake) Node(name string) *apitypes.Node {
	f.mu.Lock()
	defer f.mu.Unlock()
	n, ok := f.nodes[name]
	if !ok {
		return nil
	}
	c := *n
	return &c
}

// Uploaded delivers the running byte count of uploads as the fake reads
// them (dropped when nobody listens fast enough).
func (f *Fake) Uploaded() <-chan int64 { return f.uploaded }

func (f *Fake) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "node": "node-1"})
	})
	f.routeImages(mux)
	f.routeBackups(mux)
	f.routeTargets(mux)
	f.routeSecrets(mux)
	f.routeSettings(mux)
	f.routeNodes(mux)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if f.Token != "" && r.Header.Get("Authorization") != "Bearer "+f.Token {
			writeError(w, http.StatusUnauthorized, "missing or wrong token: set PLINTH_TOKEN")
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, format string, args ...any) {
	writeJSON(w, status, apitypes.Error{Type: "error", Status: status, Code: http.StatusText(status),
		Message: fmt.Sprintf(format, args...)})
}

// httpError is a status with a message, the fake's apierr.
type httpError struct {
	status int
	msg    string
}

func errorf(status int, format string, args ...any) *httpError {
	return &httpError{status: status, msg: fmt.Sprintf(format, args...)}
}

func (e *httpError) write(w http.ResponseWriter) { writeError(w, e.status, "%s", e.msg) }

func writeCollection[T any](w http.ResponseWriter, kind string, data []T) {
	if data == nil {
		data = []T{}
	}
	writeJSON(w, http.StatusOK, apitypes.Collection[T]{Type: "collection", ResourceType: kind, Data: data})
}

// lookup returns m[name], or answers a 404 naming what and reports false.
func lookup[V any](w http.ResponseWriter, m map[string]V, what, name string) (V, bool) {
	v, ok := m[name]
	if !ok {
		writeError(w, http.StatusNotFound, "%s %q not found", what, name)
	}
	return v, ok
}

// serveList answers GET pattern with every value of m, sorted by name, as
// a collection of kind.
func serveList[T any](f *Fake, mux *http.ServeMux, pattern, kind string, m map[string]*T) {
	mux.HandleFunc(pattern, func(w http.ResponseWriter, _ *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		writeCollection(w, kind, sortedValues(m))
	})
}

// readJSON decodes a request body into v; an empty body is {}.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(v); err != nil && err.Error() != "EOF" {
		writeError(w, http.StatusBadRequest, "bad JSON body: %v", err)
		return false
	}
	return true
}

// unknownAction answers a POST whose ?action= the fake does not serve.
func unknownAction(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusBadRequest, "unknown action %q", strings.TrimSpace(r.URL.Query().Get("action")))
}
