package client_test

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/client"
	"github.com/plinth-storage/plinth/internal/client/clienttest"
)

// gatedReader yields data but, half way through, waits until the server has
// received at least minSeen bytes: an upload that buffered the whole source
// before sending would never get past the gate.
type gatedReader struct {
	data    []byte
	off     int
	seen    <-chan int64
	minSeen int64
	gated   bool
	err     error
}

func (g *gatedReader) Read(p []byte) (int, error) {
	if g.off >= len(g.data) {
		return 0, io.EOF
	}
	if !g.gated && g.off >= len(g.data)/2 {
		g.gated = true
		timeout := time.After(20 * time.Second)
		for got := int64(0); got < g.minSeen; {
			select {
			case got = <-g.seen:
			case <-timeout:
				g.err = errors.New("server saw no bytes before the source was half read: upload is buffered")
				return 0, g.err
			}
		}
	}
	n := copy(p, g.data[g.off:min(len(g.data), g.off+64<<10)])
	g.off += n
	return n, nil
}

// TestUploadStreamsTenMiB runs against the fake, which reports the bytes it
// has received as they arrive (the real server has no such hook); the fake
// is held to the real server by internal/client/contract.
func TestUploadStreamsTenMiB(t *testing.T) {
	f := clienttest.New(t)
	c := client.New(f.URL)
	ctx := context.Background()
	if _, err := c.CreateBackingImage(ctx, apitypes.BackingImageCreateInput{Name: "up", SourceType: apitypes.SourceUpload}); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 10<<20)
	for i := range data {
		data[i] = byte(i*7 + i>>12)
	}
	src := &gatedReader{data: data, seen: f.Uploaded(), minSeen: 1 << 20}
	var calls int
	var last int64
	err := c.UploadBackingImage(ctx, "up", src, int64(len(data)), func(done, total int64) {
		calls++
		if done < last || total != int64(len(data)) {
			t.Errorf("progress went %d -> %d of %d", last, done, total)
		}
		last = done
	})
	if err != nil || src.err != nil {
		t.Fatalf("upload: %v / %v", err, src.err)
	}
	if !bytes.Equal(f.Content("up"), data) {
		t.Fatalf("server got %d bytes that differ from the source", len(f.Content("up")))
	}
	sum := sha512.Sum512(data)
	if bi := f.Image("up"); bi.CurrentChecksum != hex.EncodeToString(sum[:]) || bi.Size != int64(len(data)) {
		t.Fatalf("image after upload: size %d checksum %s", bi.Size, bi.CurrentChecksum)
	}
	if last != int64(len(data)) || calls < 10 {
		t.Fatalf("progress: last=%d calls=%d", last, calls)
	}
}

func TestUploadShortSourceFails(t *testing.T) {
	c := newServer(t)
	ctx := context.Background()
	if _, err := c.CreateBackingImage(ctx, apitypes.BackingImageCreateInput{Name: "up", SourceType: apitypes.SourceUpload}); err != nil {
		t.Fatal(err)
	}
	err := c.UploadBackingImage(ctx, "up", bytes.NewReader(make([]byte, 50)), 100, nil)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("want ErrUnexpectedEOF, got %v", err)
	}
	if _, err := c.DownloadBackingImage(ctx, "up", io.Discard, 0, nil); !client.IsConflict(err) {
		t.Fatalf("server kept a short upload: download answered %v", err)
	}
}

func TestUploadToDownloadImageIsRefused(t *testing.T) {
	c := newServer(t)
	ctx := context.Background()
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("x")) }))
	defer src.Close()
	in := apitypes.BackingImageCreateInput{Name: "dl", SourceType: apitypes.SourceDownload,
		Parameters: map[string]string{"url": src.URL + "/x.img"}}
	if _, err := c.CreateBackingImage(ctx, in); err != nil {
		t.Fatal(err)
	}
	err := c.UploadBackingImage(ctx, "dl", bytes.NewReader([]byte("x")), 1, nil)
	if !hasStatus(err, 422) {
		t.Fatalf("want 422, got %v", err)
	}
}
