package source

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func itoa(n int) string { return strconv.Itoa(n) }

func TestDownloadFollowsRedirectsAndReportsProgress(t *testing.T) {
	data := patterned(3<<20 + 17)
	srv, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/start" {
			http.Redirect(w, r, "/image.raw", http.StatusFound)
			return
		}
		if r.Header.Get("Referer") != "" {
			t.Errorf("Referer %q sent on redirect", r.Header.Get("Referer"))
		}
		http.ServeContent(w, r, "image.raw", time.Time{}, bytes.NewReader(data))
	})
	var done, total int64
	opts := fastOptions()
	opts.Progress = func(d, tot int64) { done, total = d, tot }
	sink := &memSink{}
	res, err := Download(t.Context(), srv.URL+"/start", sink, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sink.buf.Bytes(), data) || res.Size != int64(len(data)) {
		t.Fatalf("got %d bytes, want %d", sink.buf.Len(), len(data))
	}
	if done != int64(len(data)) || total != int64(len(data)) {
		t.Fatalf("progress %d/%d, want %d/%d", done, total, len(data), len(data))
	}
}

func TestDownloadRefusesLoopbackAtConnectTime(t *testing.T) {
	srv, hits := testServer(t, func(w http.ResponseWriter, r *http.Request) {})
	port := srv.URL[strings.LastIndex(srv.URL, ":")+1:]
	opts := fastOptions()
	opts.AllowPrivate = false
	// "localhost" is a name, so only the connect-time check can refuse it.
	for _, u := range []string{"http://localhost:" + port + "/x", srv.URL + "/x"} {
		res, err := Download(t.Context(), u, &memSink{}, opts)
		if !errors.Is(err, ErrForbiddenAddress) {
			t.Fatalf("%s: got %v, want ErrForbiddenAddress", u, err)
		}
		if res.Attempts != 1 {
			t.Fatalf("%s: a refused address was retried (%d attempts)", u, res.Attempts)
		}
	}
	if hits.Load() != 0 {
		t.Fatalf("the server received %d requests", hits.Load())
	}
}

func TestDownloadResumesWithRange(t *testing.T) {
	data := patterned(2<<20 + 3)
	var ranges []string
	var first atomic.Bool
	first.Store(true)
	srv, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		ranges = append(ranges, r.Header.Get("Range"))
		w.Header().Set("ETag", `"v1"`)
		if first.Swap(false) {
			w.Header().Set("Accept-Ranges", "bytes")
			serveHalfThenDrop(w, data)
		}
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(data))
	})
	sink := &memSink{}
	res, err := Download(t.Context(), srv.URL, sink, fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sink.buf.Bytes(), data) {
		t.Fatal("resumed content differs")
	}
	want := "bytes=" + itoa(len(data)/2) + "-"
	if res.Resumes != 1 || sink.resets != 0 || len(ranges) != 2 || ranges[1] != want {
		t.Fatalf("resumes %d resets %d ranges %q; want one resume with %q", res.Resumes, sink.resets, ranges, want)
	}
}

func TestDownloadRestartsWhenServerCannotResume(t *testing.T) {
	data := patterned(1<<20 + 5)
	var first atomic.Bool
	first.Store(true)
	srv, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Range") != "" {
			t.Errorf("Range sent to a server without Accept-Ranges")
		}
		if first.Swap(false) {
			serveHalfThenDrop(w, data)
		}
		w.Write(data)
	})
	sink := &memSink{}
	res, err := Download(t.Context(), srv.URL, sink, fastOptions())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(sink.buf.Bytes(), data) || sink.resets != 1 || res.Attempts != 2 {
		t.Fatalf("len %d resets %d attempts %d; want full content after one reset", sink.buf.Len(), sink.resets, res.Attempts)
	}
}

func TestDownloadStallTimeout(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	srv, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000000")
		w.Write(make([]byte, 100))
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	opts := fastOptions()
	opts.StallTimeout = 300 * time.Millisecond
	opts.Attempts = 1
	start := time.Now()
	_, err := Download(t.Context(), srv.URL, &memSink{}, opts)
	if !errors.Is(err, errStalled) || !strings.Contains(err.Error(), "no data for 300ms") {
		t.Fatalf("got %v, want a stall error", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatalf("stall detected after %s", time.Since(start))
	}
}

func TestDownloadRetriesServerErrors(t *testing.T) {
	var n atomic.Int32
	srv, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ok"))
	})
	sink := &memSink{}
	res, err := Download(t.Context(), srv.URL, sink, fastOptions())
	if err != nil || sink.buf.String() != "ok" || res.Attempts != 3 {
		t.Fatalf("got %q after %d attempts, %v", sink.buf.String(), res.Attempts, err)
	}
}

func TestDownloadErrorHidesSecrets(t *testing.T) {
	srv, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.NotFound(w, r)
	})
	u := strings.Replace(srv.URL, "http://", "http://user:s3cret@", 1) + "/missing.img?X-Amz-Signature=abcdef"
	res, err := Download(t.Context(), u, &memSink{}, fastOptions())
	if err == nil || res.Attempts != 1 {
		t.Fatalf("404: err %v after %d attempts, want one failed attempt", err, res.Attempts)
	}
	msg := err.Error()
	if strings.Contains(msg, "s3cret") || strings.Contains(msg, "abcdef") || strings.Contains(msg, "user") {
		t.Fatalf("message leaks credentials: %s", msg)
	}
	if !strings.Contains(msg, "/missing.img") || !strings.Contains(msg, "404") {
		t.Fatalf("message does not name the URL and status: %s", msg)
	}
}
