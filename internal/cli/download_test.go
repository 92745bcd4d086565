package cli

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

func putDownloadable(te *testEnv, name string, data []byte, checksum string) {
	if checksum == "" {
		sum := sha512.Sum512(data)
		checksum = hex.EncodeToString(sum[:])
	}
	te.fake.PutImage(apitypes.BackingImage{Name: name, Size: int64(len(data)), CurrentChecksum: checksum}, data)
}

func TestImageDownloadAndResume(t *testing.T) {
	te := newTestEnv(t, OutputTable)
	ctx := context.Background()
	data := bytes.Repeat([]byte("plinth-"), 300000)
	putDownloadable(te, "img", data, "")
	dir := t.TempDir()
	file := filepath.Join(dir, "img.raw")
	if err := ImageDownload(ctx, te.env, ImageDownloadOptions{Name: "img", File: file}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(file); !bytes.Equal(got, data) {
		t.Fatal("downloaded file differs")
	}
	if _, err := os.Stat(file + ".part"); !os.IsNotExist(err) {
		t.Fatal(".part file left behind")
	}

	// An interrupted download left the first third: --resume completes it.
	resumed := filepath.Join(dir, "resumed.raw")
	if err := os.WriteFile(resumed+".part", data[:len(data)/3], 0o600); err != nil {
		t.Fatal(err)
	}
	if err := ImageDownload(ctx, te.env, ImageDownloadOptions{Name: "img", File: resumed, Resume: true}); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(resumed); !bytes.Equal(got, data) {
		t.Fatal("resumed file differs")
	}

	// A corrupt partial file is caught by the checksum and never renamed.
	bad := filepath.Join(dir, "bad.raw")
	corrupt := bytes.Clone(data[:100])
	corrupt[5] ^= 0xff
	if err := os.WriteFile(bad+".part", corrupt, 0o600); err != nil {
		t.Fatal(err)
	}
	err := ImageDownload(ctx, te.env, ImageDownloadOptions{Name: "img", File: bad, Resume: true})
	if err == nil || !strings.Contains(err.Error(), "does not match its checksum") {
		t.Fatalf("want checksum error, got %v", err)
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Fatal("corrupt download was moved into place")
	}
}

func TestImageDownloadToStdout(t *testing.T) {
	te := newTestEnv(t, OutputTable)
	data := []byte("raw image bytes")
	putDownloadable(te, "small", data, "")
	if err := ImageDownload(context.Background(), te.env, ImageDownloadOptions{Name: "small", File: "-"}); err != nil {
		t.Fatal(err)
	}
	if te.out.String() != string(data) {
		t.Fatalf("stdout: %q", te.out)
	}
	if err := ImageDownload(context.Background(), te.env, ImageDownloadOptions{Name: "small", File: "-", Resume: true}); err == nil {
		t.Fatal("resume to stdout accepted")
	}
}
