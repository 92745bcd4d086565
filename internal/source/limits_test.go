package source

import (
	"bytes"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"testing"
	"time"
)

func TestUploadIdleWhileWaitingForTheFormsChunk(t *testing.T) {
	url, results := uploadServer(t, UploadOptions{IdleTimeout: 200 * time.Millisecond})
	pr, pw := io.Pipe()
	defer pw.Close()
	mw := multipart.NewWriter(pw)
	go post(url, mw.FormDataContentType(), pr)
	mw.WriteField("name", "ignored") // then nothing: the chunk part never starts
	select {
	case r := <-results:
		if !errors.Is(r.err, ErrUploadIdle) {
			t.Fatalf("got %v; want ErrUploadIdle", r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("an upload stalled before its chunk field was not stopped")
	}
}

func TestUploadIdleAnswersTheClient(t *testing.T) {
	srv, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, err := ReadUpload(w, r, io.Discard, UploadOptions{IdleTimeout: 200 * time.Millisecond})
		if errors.Is(err, ErrUploadIdle) {
			http.Error(w, err.Error(), http.StatusRequestTimeout)
		}
	})
	pr, pw := io.Pipe()
	defer pw.Close()
	go pw.Write(make([]byte, 1000)) // then nothing more, the connection stays open
	resp, err := http.Post(srv.URL+"?size=100000", "application/octet-stream", pr)
	if err != nil {
		t.Fatalf("the stalled client got no answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("status %d, want 408", resp.StatusCode)
	}
}

func TestDownloadRefusesAnnouncedLengthOverMaxSize(t *testing.T) {
	data := patterned(4096)
	srv, hits := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "image.raw", time.Time{}, bytes.NewReader(data))
	})
	opts := fastOptions()
	opts.MaxSize = 4095
	sink := &memSink{}
	_, err := Download(t.Context(), srv.URL, sink, opts)
	if !errors.Is(err, ErrDownloadTooLarge) {
		t.Fatalf("got %v, want ErrDownloadTooLarge", err)
	}
	if sink.Written() != 0 || hits.Load() != 1 {
		t.Fatalf("%d bytes stored and %d requests; want none stored and no retry", sink.Written(), hits.Load())
	}
}

func TestDownloadCutsOffABodyGrowingPastMaxSize(t *testing.T) {
	srv, hits := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		// No Content-Length: the body just keeps coming.
		for range 64 {
			if _, err := w.Write(patterned(1024)); err != nil {
				return
			}
			w.(http.Flusher).Flush()
		}
	})
	opts := fastOptions()
	opts.MaxSize = 10000
	sink := &memSink{}
	_, err := Download(t.Context(), srv.URL, sink, opts)
	if !errors.Is(err, ErrDownloadTooLarge) {
		t.Fatalf("got %v, want ErrDownloadTooLarge", err)
	}
	if sink.Written() > opts.MaxSize+1 || hits.Load() != 1 {
		t.Fatalf("%d bytes stored and %d requests; want at most the limit and no retry", sink.Written(), hits.Load())
	}
}

func TestDownloadAtExactlyMaxSizeSucceeds(t *testing.T) {
	data := patterned(4096)
	srv, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "image.raw", time.Time{}, bytes.NewReader(data))
	})
	opts := fastOptions()
	opts.MaxSize = int64(len(data))
	sink := &memSink{}
	if _, err := Download(t.Context(), srv.URL, sink, opts); err != nil || !bytes.Equal(sink.buf.Bytes(), data) {
		t.Fatalf("got %d bytes, %v", sink.Written(), err)
	}
}
