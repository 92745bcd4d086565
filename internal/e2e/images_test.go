package e2e

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func sha512File(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha512.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// writeImage writes size bytes to path: random data in the first dataLen
// bytes, then a hole.
func writeImage(t *testing.T, path string, size, dataLen int64, seed int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.CopyN(f, rand.New(rand.NewSource(seed)), dataLen); err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		t.Fatal(err)
	}
}

func serveFile(t *testing.T, path string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeFile(w, r, path)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestDownloadChecksumGoodAndBad(t *testing.T) {
	d := startDaemon(t, "")
	img := filepath.Join(t.TempDir(), "img.raw")
	writeImage(t, img, 24<<20+777, 3<<20, 7)
	sum := sha512File(t, img)
	src := serveFile(t, img)

	d.mustCall(200, "POST", "/v1/backingimages", fmt.Sprintf(`{"name":"good","sourceType":"download","parameters":{"url":%q},"expectedChecksum":%q}`, src.URL, sum))
	bi := d.waitImage("good", time.Minute, allCopies("ready"))
	if bi["currentChecksum"] != sum {
		t.Fatalf("currentChecksum %v, want sha512sum %s", bi["currentChecksum"], sum)
	}
	wrong := strings.Repeat("0f", 64)
	d.mustCall(200, "POST", "/v1/backingimages", fmt.Sprintf(`{"name":"wrong","sourceType":"download","parameters":{"url":%q},"expectedChecksum":%q}`, src.URL, wrong))
	bi = d.waitImage("wrong", time.Minute, anyCopy("failed"))
	msg := copies(bi)[0]["message"].(string)
	if !strings.Contains(msg, sum) || !strings.Contains(msg, wrong) {
		t.Fatalf("failure message must show both checksums: %q", msg)
	}
}

func TestUploadWithCurlMultipart(t *testing.T) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Fatal("curl not found: apt-get install curl")
	}
	d := startDaemon(t, "")
	img := filepath.Join(t.TempDir(), "up.raw")
	writeImage(t, img, 9<<20+3, 9<<20+3, 3) // not a multiple of 512
	sum := sha512File(t, img)
	d.mustCall(200, "POST", "/v1/backingimages", `{"name":"curl-up","sourceType":"upload"}`)
	fi, _ := os.Stat(img)
	out, err := exec.Command(curl, "-sS", "--fail-with-body", "-F", "chunk=@"+img,
		fmt.Sprintf("%s/v1/backingimages/curl-up?action=upload&size=%d", d.URL, fi.Size())).CombinedOutput()
	if err != nil {
		t.Fatalf("curl upload: %v: %s", err, out)
	}
	bi := d.waitImage("curl-up", 30*time.Second, allCopies("ready"))
	if bi["currentChecksum"] != sum {
		t.Fatalf("checksum %v, want %s", bi["currentChecksum"], sum)
	}
}

func TestSparseFourGiBImage(t *testing.T) {
	d := startDaemon(t, "")
	img := filepath.Join(t.TempDir(), "big.raw")
	const size = 4 << 30
	writeImage(t, img, size, size/20, 11) // 5% data, 95% zeros
	src := serveFile(t, img)
	d.mustCall(200, "POST", "/v1/backingimages", fmt.Sprintf(`{"name":"big","sourceType":"download","parameters":{"url":%q}}`, src.URL))
	bi := d.waitImage("big", 5*time.Minute, allCopies("ready"))
	if int64(bi["size"].(float64)) != size {
		t.Fatalf("size %v, want %d", bi["size"], size)
	}
	files, _ := filepath.Glob(filepath.Join(d.dataDir, "disks", "*", "backing-images", "big-*", "backing"))
	if len(files) != 1 {
		t.Fatalf("found %d copies on disk, want 1", len(files))
	}
	var st syscall.Stat_t
	if err := syscall.Stat(files[0], &st); err != nil {
		t.Fatal(err)
	}
	if used := st.Blocks * 512; used >= size/10 {
		t.Fatalf("copy occupies %d bytes on disk, want under 10%% of %d", used, int64(size))
	}
	resp, err := http.Get(d.URL + "/v1/backingimages/big/download")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.ContentLength != size || !strings.Contains(resp.Header.Get("Content-Disposition"), "big") {
		t.Fatalf("download headers: length %d, disposition %q", resp.ContentLength, resp.Header.Get("Content-Disposition"))
	}
	want, _ := os.Open(img)
	defer want.Close()
	if err := sameStream(resp.Body, want); err != nil {
		t.Fatalf("download differs from the source: %v", err)
	}
}

// sameStream compares two readers chunk by chunk.
func sameStream(a, b io.Reader) error {
	ba, bb := make([]byte, 4<<20), make([]byte, 4<<20)
	var off int64
	for {
		na, ea := io.ReadFull(a, ba)
		nb, eb := io.ReadFull(b, bb)
		if na != nb || !bytes.Equal(ba[:na], bb[:nb]) {
			return fmt.Errorf("first difference in the 4 MiB chunk at offset %d", off)
		}
		off += int64(na)
		if ea != nil || eb != nil {
			if (ea == nil) != (eb == nil) {
				return fmt.Errorf("lengths differ near offset %d", off)
			}
			return nil
		}
	}
}

func TestQcow2VirtualSize(t *testing.T) {
	qemuImg, err := exec.LookPath("qemu-img")
	if err != nil {
		t.Fatal("qemu-img not found: run ./scripts/test (it installs qemu-utils) or apt-get install qemu-utils")
	}
	d := startDaemon(t, "")
	img := filepath.Join(t.TempDir(), "x.qcow2")
	if out, err := exec.Command(qemuImg, "create", "-f", "qcow2", img, "1G").CombinedOutput(); err != nil {
		t.Fatalf("qemu-img: %v: %s", err, out)
	}
	src := serveFile(t, img)
	d.mustCall(200, "POST", "/v1/backingimages", fmt.Sprintf(`{"name":"q1","sourceType":"download","parameters":{"url":%q}}`, src.URL))
	bi := d.waitImage("q1", time.Minute, allCopies("ready"))
	fi, _ := os.Stat(img)
	if int64(bi["virtualSize"].(float64)) != 1073741824 || int64(bi["size"].(float64)) != fi.Size() {
		t.Fatalf("virtualSize %v size %v, want 1073741824 and %d", bi["virtualSize"], bi["size"], fi.Size())
	}
	resp, err := http.Get(d.URL + "/v1/backingimages/q1/download")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if !strings.Contains(resp.Header.Get("Content-Disposition"), "q1.qcow2") {
		t.Errorf("qcow2 download disposition %q", resp.Header.Get("Content-Disposition"))
	}
}
