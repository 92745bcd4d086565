package cli

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

func seedImages(te *testEnv) {
	te.fake.PutImage(apitypes.BackingImage{Name: "ubuntu-24.04", SourceType: apitypes.SourceDownload, DataEngine: "v1",
		Size: 3 << 29, VirtualSize: 10 << 30, MinNumberOfCopies: 2,
		DiskFileStatusMap: map[string]*apitypes.DiskFileStatus{
			"d1": {State: apitypes.StateReady, Progress: 100}, "d2": {State: apitypes.StateInProgress, Progress: 40}}}, nil)
	te.fake.PutImage(apitypes.BackingImage{Name: "win", SourceType: apitypes.SourceUpload, DataEngine: "v2",
		DiskFileStatusMap: map[string]*apitypes.DiskFileStatus{"d1": {State: apitypes.StateInProgress, Progress: 40}}}, nil)
}

func TestImageListTable(t *testing.T) {
	te := newTestEnv(t, OutputTable)
	seedImages(te)
	if err := ImageList(context.Background(), te.env); err != nil {
		t.Fatal(err)
	}
	out := te.out.String()
	columnsAligned(t, out)
	for _, want := range []string{"NAME", "ubuntu-24.04", "1.5 GiB", "10.0 GiB", "1/2", "in-progress 40%", "v2"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestImageListAndGetJSON(t *testing.T) {
	te := newTestEnv(t, OutputJSON)
	seedImages(te)
	ctx := context.Background()
	if err := ImageList(ctx, te.env); err != nil {
		t.Fatal(err)
	}
	var list []apitypes.BackingImage
	if err := json.Unmarshal(te.out.Bytes(), &list); err != nil || len(list) != 2 || list[0].Name != "ubuntu-24.04" {
		t.Fatalf("json list: %v %+v\n%s", err, list, te.out)
	}
	te.out.Reset()
	if err := ImageGet(ctx, te.env, "win"); err != nil {
		t.Fatal(err)
	}
	var bi apitypes.BackingImage
	if err := json.Unmarshal(te.out.Bytes(), &bi); err != nil || bi.DataEngine != "v2" {
		t.Fatalf("json get: %v %+v", err, bi)
	}
}

func TestImageGetTableShowsCopies(t *testing.T) {
	te := newTestEnv(t, OutputTable)
	seedImages(te)
	if err := ImageGet(context.Background(), te.env, "ubuntu-24.04"); err != nil {
		t.Fatal(err)
	}
	out := te.out.String()
	for _, want := range []string{"Name:", "ubuntu-24.04", "Copies:", "d2", "40%", "(1610612736 bytes)"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	_, copies, _ := strings.Cut(out, "Copies:\n")
	columnsAligned(t, copies)
}

func TestImageErrorsCarryServerMessage(t *testing.T) {
	te := newTestEnv(t, OutputTable)
	err := ImageGet(context.Background(), te.env, "missing")
	if err == nil || !strings.Contains(err.Error(), `backing image "missing" not found (HTTP 404)`) {
		t.Fatalf("got %v", err)
	}
	if err := ImageCreate(context.Background(), te.env, ImageCreateOptions{Name: "x"}); err == nil {
		t.Fatal("create without a source succeeded")
	}
	if err := ImageCreate(context.Background(), te.env, ImageCreateOptions{Name: "x", URL: "https://a", UploadFile: "f"}); err == nil {
		t.Fatal("create with two sources succeeded")
	}
}

func writeRandomFile(t *testing.T, size int) (string, []byte) {
	t.Helper()
	data := make([]byte, size)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	path := filepath.Join(t.TempDir(), "image.raw")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, data
}

func TestImageCreateUploadTenMiBWithProgress(t *testing.T) {
	te := newTestEnv(t, OutputTable)
	te.env.Progress = true
	path, data := writeRandomFile(t, 10<<20)
	err := ImageCreate(context.Background(), te.env, ImageCreateOptions{Name: "golden", UploadFile: path, Wait: true})
	if err != nil {
		t.Fatal(err)
	}
	got := te.fake.Content("golden")
	if len(got) != len(data) || string(got) != string(data) {
		t.Fatalf("server got %d bytes, differing from the 10 MiB file", len(got))
	}
	sum := sha512.Sum512(data)
	if te.fake.Image("golden").CurrentChecksum != hex.EncodeToString(sum[:]) {
		t.Fatal("checksum of the uploaded image differs")
	}
	if !strings.Contains(te.out.String(), "backing image golden is ready (10.0 MiB)") {
		t.Fatalf("stdout: %q", te.out)
	}
	if !strings.Contains(te.err.String(), "upload golden") || !strings.Contains(te.err.String(), "10 MB") {
		t.Fatalf("no progress bar on stderr: %q", te.err)
	}
}

func TestImageCreateURLWait(t *testing.T) {
	te := newTestEnv(t, OutputJSON)
	ctx := context.Background()
	o := ImageCreateOptions{Name: "cloud", URL: "https://images.example/cloud.img", DataEngine: "v1", MinCopies: 2,
		DiskSelector: []string{"ssd"}, Wait: true}
	if err := ImageCreate(ctx, te.env, o); err != nil {
		t.Fatal(err)
	}
	var bi apitypes.BackingImage
	if err := json.Unmarshal(te.out.Bytes(), &bi); err != nil || bi.Parameters["url"] != o.URL ||
		bi.MinNumberOfCopies != 2 || bi.DiskSelector[0] != "ssd" || bi.DiskFileStatusMap[fakeDiskUUID].State != apitypes.StateReady {
		t.Fatalf("created: %v %+v", err, bi)
	}
	te.fake.FailDownloads = "GET https://images.example/bad.img: 404 Not Found"
	o.Name, o.URL = "bad", "https://images.example/bad.img"
	err := ImageCreate(ctx, te.env, o)
	if err == nil || !strings.Contains(err.Error(), "404 Not Found") {
		t.Fatalf("want the copy's failure message, got %v", err)
	}
}

const fakeDiskUUID = "disk-uuid-1"

func TestImageUploadRetryAfterCreate(t *testing.T) {
	te := newTestEnv(t, OutputTable)
	ctx := context.Background()
	path, data := writeRandomFile(t, 4096)
	if _, err := te.env.Client.CreateBackingImage(ctx, apitypes.BackingImageCreateInput{Name: "up", SourceType: apitypes.SourceUpload}); err != nil {
		t.Fatal(err)
	}
	if err := ImageUpload(ctx, te.env, "up", path); err != nil {
		t.Fatal(err)
	}
	if string(te.fake.Content("up")) != string(data) {
		t.Fatal("content differs")
	}
	if err := ImageUpload(ctx, te.env, "up", filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Fatal("upload of a missing file succeeded")
	}
}

func TestImageCleanupAndCopies(t *testing.T) {
	te := newTestEnv(t, OutputTable)
	seedImages(te)
	ctx := context.Background()
	if err := ImageCleanup(ctx, te.env, "ubuntu-24.04", nil); err == nil {
		t.Fatal("cleanup without disks succeeded")
	}
	if err := ImageCleanup(ctx, te.env, "ubuntu-24.04", []string{"d2"}); err != nil {
		t.Fatal(err)
	}
	if _, ok := te.fake.Image("ubuntu-24.04").DiskFileStatusMap["d2"]; ok {
		t.Fatal("copy on d2 not removed")
	}
	if err := ImageUpdateCopies(ctx, te.env, "ubuntu-24.04", 3); err != nil || te.fake.Image("ubuntu-24.04").MinNumberOfCopies != 3 {
		t.Fatalf("update copies: %v", err)
	}
	if err := ImageDelete(ctx, te.env, []string{"ubuntu-24.04", "win"}); err != nil || te.fake.Image("win") != nil {
		t.Fatalf("delete: %v", err)
	}
}
