package v1

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/imagefmt"
	"github.com/plinth-storage/plinth/internal/source"
)

// dropOnce serves data, but the first response stops halfway and the
// connection is killed. ranges decides whether the server advertises and
// honours byte ranges.
func dropOnce(t *testing.T, data []byte, ranges bool) string {
	var first atomic.Bool
	first.Store(true)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if first.Swap(false) {
			if ranges {
				w.Header().Set("Accept-Ranges", "bytes")
			}
			w.WriteHeader(http.StatusOK)
			w.Write(data[:len(data)/2])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler)
		}
		if ranges {
			http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
			return
		}
		w.Write(data)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// A download interrupted mid-body ends as a copy whose streamed checksum is
// right, whether it resumed (Range) or restarted (Reset).
func TestDownloadIntoWriterAfterDrop(t *testing.T) {
	data := append(randomBytes(11, 5*bufferSize+123), make([]byte, 2*bufferSize)...)
	for _, ranges := range []bool{true, false} {
		d := testDisk(t)
		w, err := d.Create(t.Context(), testID, imagefmt.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		opts := source.Options{AllowPrivate: true, Backoff: 10 * time.Millisecond, StallTimeout: 5 * time.Second}
		res, err := source.Download(t.Context(), dropOnce(t, data, ranges), w, opts)
		if err != nil {
			t.Fatal(err)
		}
		if ranges != (res.Resumes == 1) || res.Attempts != 2 {
			t.Fatalf("ranges=%v: %+v", ranges, res)
		}
		if _, err := w.Commit(t.Context(), sha512Hex(data)); err != nil {
			t.Fatalf("ranges=%v: %v", ranges, err)
		}
		assertFileContent(t, d.BackingPath(testID), data)
		assertManifest(t, storedManifest(t, d, testID), manifestOf(t, data))
	}
}
