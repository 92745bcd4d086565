package contract

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
)

func imageScenarios() []Scenario {
	return []Scenario{
		{"images/upload-download-delete", imageUploadDownloadDelete},
		{"images/short-upload-then-retry", imageShortUpload},
		{"images/download-source-and-wait", imageFromURL},
		{"images/wait-stops-on-context", imageWaitContext},
		{"images/errors", imageErrors},
		{"images/verify", imageVerify},
	}
}

// imageUploadDownloadDelete: an upload image streams in through the
// client's transfer code with progress, becomes ready with the right size
// and checksum, downloads whole and from an offset, and deletes.
func imageUploadDownloadDelete(t *testing.T, c *client.Client) {
	ctx := waitCtx(t)
	data := imageData(1, 3<<20+4321)
	created, err := c.CreateBackingImage(ctx, apitypes.BackingImageCreateInput{Name: "c-up", SourceType: apitypes.SourceUpload})
	if err != nil {
		t.Fatal(err)
	}
	if created.Name != "c-up" || created.SourceType != apitypes.SourceUpload || client.SummarizeBackingImage(created).State == apitypes.StateReady {
		t.Fatalf("created: %+v", created)
	}
	var buf bytes.Buffer
	_, err = c.DownloadBackingImage(ctx, "c-up", &buf, 0, nil)
	wantStatus(t, "download before upload", err, http.StatusConflict)

	var last, calls int64
	err = c.UploadBackingImage(ctx, "c-up", bytes.NewReader(data), int64(len(data)), func(done, total int64) {
		if done < last || total != int64(len(data)) {
			t.Errorf("upload progress went %d -> %d of %d", last, done, total)
		}
		last, calls = done, calls+1
	})
	if err != nil {
		t.Fatalf("upload: %v", err)
	}
	if last != int64(len(data)) || calls < 2 {
		t.Fatalf("upload progress ended at %d after %d calls", last, calls)
	}
	bi, err := c.WaitBackingImage(ctx, "c-up", client.BackingImageReady, client.Poll[*apitypes.BackingImage]{Interval: fastPoll})
	if err != nil {
		t.Fatal(err)
	}
	if bi.Size != int64(len(data)) || bi.CurrentChecksum != sha512Hex(data) {
		t.Fatalf("uploaded image: size %d checksum %.16s..., want %d %.16s...", bi.Size, bi.CurrentChecksum, len(data), sha512Hex(data))
	}
	checkCopiesOnKnownDisks(t, c, bi)
	err = c.UploadBackingImage(ctx, "c-up", bytes.NewReader(data), int64(len(data)), nil)
	wantStatus(t, "upload to a ready image", err, http.StatusConflict)

	list, err := c.ListBackingImages(ctx)
	if err != nil || !hasImage(list, "c-up", apitypes.SourceUpload) {
		t.Fatalf("list lacks c-up: %v %+v", err, list)
	}
	if got := download(t, c, "c-up"); !bytes.Equal(got, data) {
		t.Fatalf("downloaded %d bytes that differ from the %d uploaded", len(got), len(data))
	}
	buf.Reset()
	off := int64(len(data) / 3)
	n, err := c.DownloadBackingImage(ctx, "c-up", &buf, off, nil)
	if err != nil || n != int64(len(data))-off || !bytes.Equal(buf.Bytes(), data[off:]) {
		t.Fatalf("download from %d: %d bytes, %v", off, n, err)
	}

	if err := c.DeleteBackingImage(ctx, "c-up"); err != nil {
		t.Fatal(err)
	}
	eventuallyGone(t, "image c-up", func() error { _, err := c.GetBackingImage(ctx, "c-up"); return err })
	wantStatus(t, "delete a deleted image", c.DeleteBackingImage(ctx, "c-up"), http.StatusNotFound, "c-up")
}

func hasImage(list []apitypes.BackingImage, name, source string) bool {
	for _, bi := range list {
		if bi.Name == name && bi.SourceType == source {
			return true
		}
	}
	return false
}

// imageShortUpload: a source shorter than its declared size fails on the
// client with io.ErrUnexpectedEOF, the copy shows the failure, and a full
// upload afterwards succeeds.
func imageShortUpload(t *testing.T, c *client.Client) {
	ctx := waitCtx(t)
	data := imageData(2, 1<<20)
	if _, err := c.CreateBackingImage(ctx, apitypes.BackingImageCreateInput{Name: "c-short", SourceType: apitypes.SourceUpload}); err != nil {
		t.Fatal(err)
	}
	err := c.UploadBackingImage(ctx, "c-short", bytes.NewReader(data[:1000]), int64(len(data)), nil)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short upload: want io.ErrUnexpectedEOF, got %v", err)
	}
	_, err = c.WaitBackingImage(ctx, "c-short", client.BackingImageReady, client.Poll[*apitypes.BackingImage]{Interval: fastPoll})
	if !errors.Is(err, client.ErrFailed) || !strings.Contains(err.Error(), "upload") {
		t.Fatalf("after a short upload: want ErrFailed naming the upload, got %v", err)
	}
	if err := c.UploadBackingImage(ctx, "c-short", bytes.NewReader(data), int64(len(data)), nil); err != nil {
		t.Fatalf("upload after a failed one: %v", err)
	}
	bi, err := c.WaitBackingImage(ctx, "c-short", client.BackingImageReady, client.Poll[*apitypes.BackingImage]{Interval: fastPoll})
	if err != nil || bi.CurrentChecksum != sha512Hex(data) {
		t.Fatalf("after the retry: %v %+v", err, bi)
	}
}

// sourceServer serves data at /image.raw and 404 elsewhere.
func sourceServer(t *testing.T, data []byte) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/image.raw" {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, "image.raw", time.Time{}, bytes.NewReader(data))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// imageFromURL: a download image becomes ready with the source's bytes;
// WaitBackingImage reports every version it reads; a source that answers
// 404 ends in ErrFailed with the reason; a download image takes no upload.
func imageFromURL(t *testing.T, c *client.Client) {
	ctx := waitCtx(t)
	data := imageData(3, 2<<20+100)
	src := sourceServer(t, data)
	in := apitypes.BackingImageCreateInput{Name: "c-dl", SourceType: apitypes.SourceDownload,
		Parameters: map[string]string{"url": src + "/image.raw"}}
	created, err := c.CreateBackingImage(ctx, in)
	if err != nil || created.Parameters["url"] != in.Parameters["url"] || created.DataEngine != apitypes.DataEngineV1 {
		t.Fatalf("create: %v %+v", err, created)
	}
	var seen []client.ImageSummary
	bi, err := c.WaitBackingImage(ctx, "c-dl", client.BackingImageReady, client.Poll[*apitypes.BackingImage]{Interval: fastPoll,
		Observe: func(bi *apitypes.BackingImage) { seen = append(seen, client.SummarizeBackingImage(bi)) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) == 0 || seen[len(seen)-1].State != apitypes.StateReady || seen[len(seen)-1].Progress != 100 {
		t.Fatalf("observed: %+v", seen)
	}
	if bi.Size != int64(len(data)) || bi.CurrentChecksum != sha512Hex(data) {
		t.Fatalf("downloaded image: size %d checksum %.16s...", bi.Size, bi.CurrentChecksum)
	}
	if got := download(t, c, "c-dl"); !bytes.Equal(got, data) {
		t.Fatal("content of the download image differs from its source")
	}
	err = c.UploadBackingImage(ctx, "c-dl", bytes.NewReader(data), int64(len(data)), nil)
	wantStatus(t, "upload to a download image", err, http.StatusUnprocessableEntity)

	in.Name, in.Parameters = "c-dl-404", map[string]string{"url": src + "/missing.raw"}
	if _, err := c.CreateBackingImage(ctx, in); err != nil {
		t.Fatal(err)
	}
	_, err = c.WaitBackingImage(ctx, "c-dl-404", client.BackingImageReady, client.Poll[*apitypes.BackingImage]{Interval: fastPoll})
	if !errors.Is(err, client.ErrFailed) || !strings.Contains(err.Error(), "404") {
		t.Fatalf("source answering 404: want ErrFailed naming the 404, got %v", err)
	}
}

// imageWaitContext: a wait on an image that never gets ready stops with
// the context's error; a wait on a missing image returns the 404.
func imageWaitContext(t *testing.T, c *client.Client) {
	ctx := waitCtx(t)
	if _, err := c.CreateBackingImage(ctx, apitypes.BackingImageCreateInput{Name: "c-pending", SourceType: apitypes.SourceUpload}); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err := c.WaitBackingImage(short, "c-pending", client.BackingImageReady, client.Poll[*apitypes.BackingImage]{Interval: fastPoll})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want the context's deadline, got %v", err)
	}
	_, err = c.WaitBackingImage(ctx, "c-never", client.BackingImageReady, client.Poll[*apitypes.BackingImage]{Interval: fastPoll})
	wantStatus(t, "wait for a missing image", err, http.StatusNotFound, "c-never")
	_, err = c.WaitBackup(ctx, "c-never", client.BackupCompleted, client.Poll[*apitypes.BackupBackingImage]{Interval: fastPoll})
	wantStatus(t, "wait for a missing backup", err, http.StatusNotFound, "c-never")
}

// imageErrors: 404 for what is missing, 409 for a duplicate, 422 for
// values the server cannot accept, each with a message.
func imageErrors(t *testing.T, c *client.Client) {
	ctx := waitCtx(t)
	_, err := c.GetBackingImage(ctx, "c-missing")
	wantStatus(t, "get a missing image", err, http.StatusNotFound, "c-missing")
	var buf bytes.Buffer
	_, err = c.DownloadBackingImage(ctx, "c-missing", &buf, 0, nil)
	wantStatus(t, "download a missing image", err, http.StatusNotFound, "c-missing")
	err = c.UploadBackingImage(ctx, "c-missing", bytes.NewReader([]byte("x")), 1, nil)
	wantStatus(t, "upload to a missing image", err, http.StatusNotFound, "c-missing")
	wantStatus(t, "delete a missing image", c.DeleteBackingImage(ctx, "c-missing"), http.StatusNotFound, "c-missing")

	up := apitypes.BackingImageCreateInput{Name: "c-dup", SourceType: apitypes.SourceUpload}
	if _, err := c.CreateBackingImage(ctx, up); err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateBackingImage(ctx, up)
	wantStatus(t, "create a duplicate image", err, http.StatusConflict, "c-dup")

	sum := sha512Hex(nil)
	invalid := map[string]apitypes.BackingImageCreateInput{
		"bad name":             {Name: "Bad Name", SourceType: apitypes.SourceUpload},
		"no name":              {SourceType: apitypes.SourceUpload},
		"name over 40":         {Name: strings.Repeat("n", 41), SourceType: apitypes.SourceUpload},
		"no source":            {Name: "c-x"},
		"unknown source":       {Name: "c-x", SourceType: "clone"},
		"download without url": {Name: "c-x", SourceType: apitypes.SourceDownload},
		"ftp url":              {Name: "c-x", SourceType: apitypes.SourceDownload, Parameters: map[string]string{"url": "ftp://host/x.img"}},
		"short checksum":       {Name: "c-x", SourceType: apitypes.SourceUpload, ExpectedChecksum: "abc"},
		"unknown engine":       {Name: "c-x", SourceType: apitypes.SourceUpload, DataEngine: "v3"},
		"negative copies":      {Name: "c-x", SourceType: apitypes.SourceUpload, MinNumberOfCopies: -1},
	}
	for what, in := range invalid {
		_, err := c.CreateBackingImage(ctx, in)
		wantStatus(t, "create with "+what, err, http.StatusUnprocessableEntity)
	}
	if _, err := c.CreateBackingImage(ctx, apitypes.BackingImageCreateInput{Name: "c-sum", SourceType: apitypes.SourceUpload,
		ExpectedChecksum: strings.ToUpper(sum)}); err != nil {
		t.Fatalf("create with an upper-case checksum: %v", err)
	}
	_, err = c.GetBackingImage(ctx, "c-x")
	wantStatus(t, "get an image every create refused", err, http.StatusNotFound, "c-x")
}
