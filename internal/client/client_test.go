package client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/client"
	"github.com/plinth-storage/plinth/internal/server"
	"github.com/plinth-storage/plinth/internal/server/servertest"
)

// newServer starts the real daemon in-process and returns a client of it.
func newServer(t *testing.T, edit ...func(*server.Options)) *client.Client {
	t.Helper()
	s := servertest.Start(t, edit...)
	return client.New(s.URL, client.WithTimeout(10*time.Second))
}

// upload creates an upload image holding data and waits until it is ready.
func upload(t *testing.T, c *client.Client, name string, data []byte) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateBackingImage(ctx, apitypes.BackingImageCreateInput{Name: name, SourceType: apitypes.SourceUpload}); err != nil {
		t.Fatal(err)
	}
	if err := c.UploadBackingImage(ctx, name, bytes.NewReader(data), int64(len(data)), nil); err != nil {
		t.Fatal(err)
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := c.WaitBackingImage(wctx, name, client.BackingImageReady, client.Poll[*apitypes.BackingImage]{Interval: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
}

func TestAPIErrorCarriesServerMessage(t *testing.T) {
	c := newServer(t)
	_, err := c.GetBackingImage(context.Background(), "nope")
	if !client.IsNotFound(err) || client.IsConflict(err) {
		t.Fatalf("want a 404 APIError, got %v", err)
	}
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || !strings.Contains(apiErr.Message, "nope") || !strings.Contains(apiErr.Message, "not found") ||
		apiErr.Code == "" {
		t.Fatalf("message not propagated: %#v", apiErr)
	}
	if !strings.Contains(err.Error(), `get backing image "nope"`) || !strings.Contains(err.Error(), "(HTTP 404)") {
		t.Fatalf("error lacks context: %v", err)
	}
}

func TestAPIErrorFromPlainText(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "upstream gone", http.StatusBadGateway)
	}))
	defer srv.Close()
	err := client.New(srv.URL).Health(context.Background())
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.Status != 502 || apiErr.Message != "upstream gone" {
		t.Fatalf("got %v", err)
	}
}

func TestUnreachableServerNamesAddress(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	addr := srv.URL
	srv.Close()
	err := client.New(addr).Health(context.Background())
	if err == nil || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "PLINTH_SERVER") {
		t.Fatalf("want an error naming %s and PLINTH_SERVER, got %v", addr, err)
	}
}

func TestTokenIsSent(t *testing.T) {
	c := newServer(t, func(o *server.Options) { o.Token = "s3cret-token-for-tests" })
	ctx := context.Background()
	if _, err := client.New(c.BaseURL()).ListNodes(ctx); !hasStatus(err, 401) {
		t.Fatalf("want 401 without token, got %v", err)
	}
	if _, err := client.New(c.BaseURL(), client.WithToken("wrong")).ListNodes(ctx); !hasStatus(err, 401) {
		t.Fatalf("want 401 with a wrong token, got %v", err)
	}
	if _, err := client.New(c.BaseURL(), client.WithToken("s3cret-token-for-tests")).ListNodes(ctx); err != nil {
		t.Fatalf("with token: %v", err)
	}
}

func hasStatus(err error, status int) bool {
	var apiErr *client.APIError
	return errors.As(err, &apiErr) && apiErr.Status == status
}

func TestDownloadFullAndResumed(t *testing.T) {
	c := newServer(t)
	data := bytes.Repeat([]byte("0123456789abcdef"), 4096)
	upload(t, c, "img", data)
	ctx := context.Background()
	var buf bytes.Buffer
	var last int64
	n, err := c.DownloadBackingImage(ctx, "img", &buf, 0, func(done, total int64) {
		if total != int64(len(data)) {
			t.Errorf("total %d, want %d", total, len(data))
		}
		last = done
	})
	if err != nil || n != int64(len(data)) || !bytes.Equal(buf.Bytes(), data) || last != n {
		t.Fatalf("full download: n=%d last=%d err=%v equal=%v", n, last, err, bytes.Equal(buf.Bytes(), data))
	}
	buf.Reset()
	if _, err := c.DownloadBackingImage(ctx, "img", &buf, 1000, nil); err != nil || !bytes.Equal(buf.Bytes(), data[1000:]) {
		t.Fatalf("resumed download: err=%v len=%d", err, buf.Len())
	}
	d, err := c.OpenDownload(ctx, "img", 0)
	if err != nil {
		t.Fatal(err)
	}
	d.Body.Close()
	if d.Filename != "img.raw" || d.Size != int64(len(data)) {
		t.Fatalf("download meta: %+v", d)
	}
}

func TestDownloadServerIgnoringRange(t *testing.T) {
	data := []byte("abcdefghijklmnopqrstuvwxyz")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write(data)
	}))
	defer srv.Close()
	var buf bytes.Buffer
	if _, err := client.New(srv.URL).DownloadBackingImage(context.Background(), "x", &buf, 10, nil); err != nil {
		t.Fatal(err)
	}
	if buf.String() != string(data[10:]) {
		t.Fatalf("got %q", buf.String())
	}
}

func TestDownloadTruncatedIsAnError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Length", "100")
		_, _ = w.Write([]byte("only ten b"))
	}))
	defer srv.Close()
	_, err := client.New(srv.URL).DownloadBackingImage(context.Background(), "x", io.Discard, 0, nil)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("want ErrUnexpectedEOF, got %v", err)
	}
}
