package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// slowFile serves a file with Range support at roughly rate bytes/s, so a
// test can interrupt a transfer midway.
func slowFile(t *testing.T, path string, rate int) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.Open(path)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		defer f.Close()
		http.ServeContent(w, r, "", time.Time{}, &throttled{f: f, rate: rate})
	}))
	t.Cleanup(srv.Close)
	return srv
}

type throttled struct {
	f    *os.File
	rate int
}

func (s *throttled) Read(p []byte) (int, error) {
	if len(p) > 64<<10 {
		p = p[:64<<10]
	}
	time.Sleep(time.Duration(len(p)) * time.Second / time.Duration(s.rate))
	return s.f.Read(p)
}

func (s *throttled) Seek(off int64, whence int) (int64, error) { return s.f.Seek(off, whence) }

func progressOf(bi map[string]any) float64 {
	for _, c := range copies(bi) {
		if p, ok := c["progress"].(float64); ok {
			return p
		}
	}
	return 0
}

func TestKillDuringDownloadConverges(t *testing.T) {
	d := startDaemon(t, "")
	img := filepath.Join(t.TempDir(), "slow.raw")
	writeImage(t, img, 48<<20, 48<<20, 5)
	sum := sha512File(t, img)
	src := slowFile(t, img, 16<<20)
	d.mustCall(200, "POST", "/v1/backingimages", fmt.Sprintf(`{"name":"slow","sourceType":"download","parameters":{"url":%q},"expectedChecksum":%q}`, src.URL, sum))
	d.waitImage("slow", 30*time.Second, func(bi map[string]any) bool { return progressOf(bi) >= 10 })
	d.restart() // SIGKILL mid-download, then start again
	bi := d.waitImage("slow", 2*time.Minute, allCopies("ready"))
	if bi["currentChecksum"] != sum {
		t.Fatalf("checksum after restart %v, want %s", bi["currentChecksum"], sum)
	}
	tmps, _ := filepath.Glob(filepath.Join(d.dataDir, "disks", "*", "backing-images", "*", "*.tmp*"))
	if len(tmps) != 0 {
		t.Fatalf("temp files outlived their work: %v", tmps)
	}
}

func TestKillDuringUploadFailsThenRetryWorks(t *testing.T) {
	d := startDaemon(t, "")
	d.mustCall(200, "POST", "/v1/backingimages", `{"name":"up","sourceType":"upload"}`)
	const size = 32 << 20
	pr, pw := io.Pipe()
	go func() {
		chunk := bytes.Repeat([]byte{7}, 1<<20)
		for i := 0; i < size>>20; i++ {
			if _, err := pw.Write(chunk); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
		pw.Close()
	}()
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/v1/backingimages/up?action=upload&size=%d", d.URL, size), pr)
	req.Header.Set("Content-Type", "application/octet-stream")
	req.ContentLength = size
	go func() {
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	d.waitImage("up", 30*time.Second, anyCopy("in-progress"))
	time.Sleep(300 * time.Millisecond)
	d.restart()
	pw.CloseWithError(io.ErrClosedPipe)
	bi := d.waitImage("up", 30*time.Second, anyCopy("failed"))
	if msg := copies(bi)[0]["message"].(string); !strings.Contains(msg, "upload") {
		t.Fatalf("failed upload message should tell to upload again: %q", msg)
	}
	data := bytes.Repeat([]byte{9}, 3<<20)
	req2, _ := http.NewRequest("POST", fmt.Sprintf("%s/v1/backingimages/up?action=upload&size=%d", d.URL, len(data)), bytes.NewReader(data))
	req2.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req2)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("retried upload: status %d", resp.StatusCode)
	}
	d.waitImage("up", 30*time.Second, allCopies("ready"))
}

func TestRestartKeepsImagesReady(t *testing.T) {
	d := startDaemon(t, "")
	img := filepath.Join(t.TempDir(), "k.raw")
	writeImage(t, img, 4<<20, 1<<20, 9)
	src := serveFile(t, img)
	for _, n := range []string{"k1", "k2"} {
		d.mustCall(200, "POST", "/v1/backingimages", fmt.Sprintf(`{"name":%q,"sourceType":"download","parameters":{"url":%q}}`, n, src.URL))
		d.waitImage(n, time.Minute, allCopies("ready"))
	}
	d.restart()
	list := d.mustCall(200, "GET", "/v1/backingimages", "")
	if n := len(list["data"].([]any)); n != 2 {
		t.Fatalf("after restart %d images listed, want 2", n)
	}
	for _, n := range []string{"k1", "k2"} {
		d.waitImage(n, 10*time.Second, allCopies("ready"))
	}
}
