package source

import (
	"bytes"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"
)

// uploadServer runs ReadUpload into a buffer and hands the result back.
type uploadResult struct {
	data []byte
	n    int64
	err  error
}

func uploadServer(t *testing.T, opts UploadOptions) (string, chan uploadResult) {
	t.Helper()
	results := make(chan uploadResult, 1)
	srv, _ := testServer(t, func(w http.ResponseWriter, r *http.Request) {
		var buf bytes.Buffer
		n, err := ReadUpload(w, r, &buf, opts)
		results <- uploadResult{data: buf.Bytes(), n: n, err: err}
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
		}
	})
	return srv.URL, results
}

// postMultipart streams a form with a field before `chunk` (as browsers may
// send), without building the body in memory.
func postMultipart(t *testing.T, url string, field string, data []byte) {
	t.Helper()
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		mw.WriteField("name", "ignored")
		part, _ := mw.CreateFormFile(field, "image.raw")
		part.Write(data)
		pw.CloseWithError(mw.Close())
	}()
	post(url, mw.FormDataContentType(), pr)
}

// post sends a request and ignores the outcome: a server that refuses an
// upload early may reset the connection, and the tests check the server's
// side.
func post(url, contentType string, body io.Reader) {
	resp, err := http.Post(url, contentType, body)
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func postRaw(t *testing.T, url, contentType string, data []byte) {
	t.Helper()
	post(url, contentType, bytes.NewReader(data))
}

func TestUploadMultipart(t *testing.T) {
	url, results := uploadServer(t, UploadOptions{})
	data := patterned(1<<20 + 333) // not a multiple of 512
	postMultipart(t, url+"?size="+itoa(len(data)), UploadField, data)
	r := <-results
	if r.err != nil || !bytes.Equal(r.data, data) || r.n != int64(len(data)) {
		t.Fatalf("got %d bytes, err %v", r.n, r.err)
	}
}

func TestUploadRaw(t *testing.T) {
	url, results := uploadServer(t, UploadOptions{MaxSize: 1 << 30})
	data := patterned(777)
	postRaw(t, url, "application/octet-stream", data)
	if r := <-results; r.err != nil || !bytes.Equal(r.data, data) {
		t.Fatalf("got %d bytes, err %v", r.n, r.err)
	}
}

func TestUploadClientMistakes(t *testing.T) {
	data := patterned(5000)
	cases := []struct {
		name string
		send func(url string)
		want error
	}{
		{"multipart shorter than size", func(u string) { postMultipart(t, u+"?size=6000", UploadField, data) }, ErrBadUpload},
		{"multipart longer than size", func(u string) { postMultipart(t, u+"?size=4000", UploadField, data) }, ErrBadUpload},
		{"no chunk field", func(u string) { postMultipart(t, u+"?size=5000", "file", data) }, ErrBadUpload},
		{"raw longer than size", func(u string) { postRaw(t, u+"?size=10", "application/octet-stream", data) }, ErrBadUpload},
		{"bad size", func(u string) { postRaw(t, u+"?size=-1", "application/octet-stream", data) }, ErrBadUpload},
		{"json body", func(u string) { postRaw(t, u, "application/json", data) }, ErrUnsupportedUpload},
		{"over the limit", func(u string) { postRaw(t, u, "application/octet-stream", patterned(1<<20+1)) }, ErrUploadTooLarge},
		{"over the limit, unknown length", func(u string) { postMultipart(t, u, UploadField, patterned(1<<20+1)) }, ErrUploadTooLarge},
	}
	for _, c := range cases {
		url, results := uploadServer(t, UploadOptions{MaxSize: 1 << 20})
		c.send(url)
		r := <-results
		if !errors.Is(r.err, c.want) {
			t.Errorf("%s: got %v, want %v", c.name, r.err, c.want)
		}
		if r.err != nil && strings.TrimSpace(r.err.Error()) == "" {
			t.Errorf("%s: empty message", c.name)
		}
	}
}

func TestUploadIdleTimeout(t *testing.T) {
	url, results := uploadServer(t, UploadOptions{IdleTimeout: 200 * time.Millisecond})
	pr, pw := io.Pipe()
	defer pw.Close()
	go post(url+"?size=100000", "application/octet-stream", pr)
	pw.Write(make([]byte, 1000)) // then nothing more
	select {
	case r := <-results:
		if !errors.Is(r.err, ErrUploadIdle) || r.n != 1000 {
			t.Fatalf("got %d bytes, %v; want ErrUploadIdle after 1000 bytes", r.n, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a stalled upload was not stopped")
	}
}
