package e2e

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/testenv"
)

// TestLimitsRefuseOutOfRangeRequests checks issue 9's validation caps on a
// real daemon: copies, settings, file targets, selectors and upload size.
func TestLimitsRefuseOutOfRangeRequests(t *testing.T) {
	d := startDaemon(t, "")
	t.Run("minNumberOfCopies", func(t *testing.T) {
		code, m := d.call("POST", "/v1/backingimages", `{"name":"many","sourceType":"upload","minNumberOfCopies":4611686018427387904}`)
		wantRefusal(t, "create with 2^62 copies", code, m, 422, "backing-image-max-number-of-copies")
		d.mustCall(200, "POST", "/v1/backingimages", `{"name":"few","sourceType":"upload"}`)
		code, m = d.call("POST", "/v1/backingimages/few?action=updateMinNumberOfCopies", `{"minNumberOfCopies":4611686018427387904}`)
		wantRefusal(t, "updateMinNumberOfCopies to 2^62", code, m, 422, "backing-image-max-number-of-copies")
		code, m = d.call("POST", "/v1/backingimages/few?action=updateMinNumberOfCopies", `{"minNumberOfCopies":17}`)
		wantRefusal(t, "updateMinNumberOfCopies to 17 (default max 16)", code, m, 422, "backing-image-max-number-of-copies")
		d.mustCall(200, "POST", "/v1/backingimages/few?action=updateMinNumberOfCopies", `{"minNumberOfCopies":16}`)
		code, m = d.call("PUT", "/v1/settings/default-min-number-of-backing-image-copies", `{"value":"17"}`)
		wantRefusal(t, "default copies above the maximum", code, m, 422, "backing-image-max-number-of-copies")
		d.mustCall(200, "PUT", "/v1/settings/default-min-number-of-backing-image-copies", `{"value":"3"}`)
		code, m = d.call("PUT", "/v1/settings/backing-image-max-number-of-copies", `{"value":"2"}`)
		wantRefusal(t, "maximum below the default copies", code, m, 422, "default-min-number-of-backing-image-copies")
		d.mustCall(200, "PUT", "/v1/settings/default-min-number-of-backing-image-copies", `{"value":"1"}`)
	})
	t.Run("file targets", func(t *testing.T) {
		for _, u := range []string{"file:///", "file:///etc", "file:///usr/../etc/plinth", "file://" + d.dataDir, "file://" + d.dataDir + "/disks"} {
			code, m := d.call("POST", "/v1/backuptargets", fmt.Sprintf(`{"name":"bad","backupTargetURL":%q}`, u))
			wantRefusal(t, "target "+u, code, m, 422, u)
			code, m = d.call("POST", "/v1/backuptargets/default?action=backupTargetUpdate", fmt.Sprintf(`{"backupTargetURL":%q}`, u))
			wantRefusal(t, "default target updated to "+u, code, m, 422, u)
		}
		def := d.mustCall(200, "POST", "/v1/backuptargets/default?action=backupTargetUpdate", fmt.Sprintf(`{"backupTargetURL":"file://%s/backupstore"}`, d.dataDir))
		if def["available"] != true {
			t.Fatalf("the default store in the data dir must stay usable: %v", def)
		}
	})
	t.Run("nodeSelector matching nothing", func(t *testing.T) {
		d.mustCall(200, "POST", "/v1/backingimages", `{"name":"tagged","sourceType":"upload","nodeSelector":["ssd","fast"]}`)
		d.waitFor(t, "tagged", "a message naming the nodeSelector", func(bi map[string]any) bool {
			msg, _ := bi["message"].(string)
			return strings.Contains(msg, "nodeSelector [ssd fast]") && len(copies(bi)) == 0
		})
		code, m := d.upload("tagged", 4, bytes.NewReader([]byte("abcd")))
		wantRefusal(t, "upload to an unplaceable image", code, m, 409, "nodeSelector [ssd fast]")
		if bi := d.mustCall(200, "GET", "/v1/backingimages/tagged", ""); len(copies(bi)) != 0 {
			t.Fatalf("a copy was placed: %v", bi)
		}
	})
	t.Run("declared size over the maximum", func(t *testing.T) {
		d.mustCall(200, "PUT", "/v1/settings/backing-image-max-size-gib", `{"value":"1"}`)
		d.mustCall(200, "POST", "/v1/backingimages", `{"name":"big","sourceType":"upload"}`)
		code, m := d.upload("big", 1<<30+1, strings.NewReader("x"))
		wantRefusal(t, "upload declaring 1 GiB + 1", code, m, 413, "backing-image-max-size-gib")
		for _, c := range copies(d.mustCall(200, "GET", "/v1/backingimages/big", "")) {
			if c["state"] != "pending" {
				t.Fatalf("a refused upload touched the copy: %v", c)
			}
		}
		img := filepath.Join(t.TempDir(), "big.raw")
		writeImage(t, img, 1<<30+1, 4096, 1) // sparse: costs no disk
		src := serveFile(t, img)
		d.mustCall(200, "POST", "/v1/backingimages", fmt.Sprintf(`{"name":"big-dl","sourceType":"download","parameters":{"url":%q}}`, src.URL))
		d.waitFor(t, "big-dl", "the oversized download failed with the reason", func(bi map[string]any) bool {
			cs := copies(bi)
			return len(cs) == 1 && cs[0]["state"] == "failed" && strings.Contains(cs[0]["message"].(string), "over the limit of 1073741824 bytes")
		})
		d.mustCall(200, "PUT", "/v1/settings/backing-image-max-size-gib", `{"value":"2048"}`)
	})
}

// TestStalledUploadFailsAndRetrySucceeds: a client that stops sending (the
// connection left open) gets a 408 within the idle timeout, the copy fails
// and a new upload is accepted at once; so is one after a client that hung
// up mid-upload.
func TestStalledUploadFailsAndRetrySucceeds(t *testing.T) {
	d := startDaemon(t, "")
	d.mustCall(200, "PUT", "/v1/settings/backing-image-upload-idle-timeout", `{"value":"2"}`)
	d.mustCall(200, "POST", "/v1/backingimages", `{"name":"slow","sourceType":"upload"}`)
	data := bytes.Repeat([]byte("plinth!\n"), 128<<10) // 1 MiB

	pr, pw := io.Pipe()
	defer pw.Close() // the connection stays open until the test ends
	go pw.Write(data[:len(data)/2])
	start := time.Now()
	done := make(chan int, 1)
	go func() {
		code, _ := d.upload("slow", int64(len(data)), pr)
		done <- code
	}()
	select {
	case code := <-done:
		if code != http.StatusRequestTimeout {
			t.Fatalf("stalled upload answered %d, want 408", code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a stalled upload got no answer within 20 s (idle timeout 2 s)")
	}
	if took := time.Since(start); took > 15*time.Second {
		t.Fatalf("the stalled upload was stopped after %s, idle timeout 2 s", took)
	}
	bi := d.mustCall(200, "GET", "/v1/backingimages/slow", "")
	if cs := copies(bi); len(cs) != 1 || cs[0]["state"] != "failed" || !strings.Contains(cs[0]["message"].(string), "sent nothing") {
		t.Fatalf("after the stall the copy must be failed with the reason: %v", cs)
	}

	// A client that hangs up mid-upload frees the image at once too.
	pr2, pw2 := io.Pipe()
	go func() {
		pw2.Write(data[:len(data)/3])
		pw2.CloseWithError(io.ErrClosedPipe)
	}()
	d.upload("slow", int64(len(data)), pr2)
	d.waitFor(t, "slow", "the hung-up upload's copy failed", func(bi map[string]any) bool {
		cs := copies(bi)
		return len(cs) == 1 && cs[0]["state"] == "failed" && strings.Contains(cs[0]["message"].(string), "reading the request")
	})

	code, m := d.upload("slow", int64(len(data)), bytes.NewReader(data))
	if code != 200 {
		t.Fatalf("upload right after the failures: status %d, %v", code, m)
	}
	d.waitFor(t, "slow", "the image ready", allCopies("ready"))
}

// upload sends body as a raw upload declaring size and returns the status
// and the decoded reply (nil if the request itself failed).
func (d *daemon) upload(name string, size int64, body io.Reader) (int, map[string]any) {
	d.t.Helper()
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/v1/backingimages/%s?action=upload&size=%d", d.URL, name, size), body)
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	m := map[string]any{"raw": string(data)}
	return resp.StatusCode, m
}

// waitFor polls the image until pred holds.
func (d *daemon) waitFor(t *testing.T, name, what string, pred func(bi map[string]any) bool) {
	t.Helper()
	testenv.Eventually(t, 20*time.Second, what, func() (bool, string) {
		code, bi := d.call("GET", "/v1/backingimages/"+name, "")
		return code == 200 && pred(bi), fmt.Sprint(code, bi)
	})
}

func wantRefusal(t *testing.T, what string, code int, reply map[string]any, want int, mention string) {
	t.Helper()
	if code != want || !strings.Contains(fmt.Sprint(reply), mention) {
		t.Errorf("%s: status %d, want %d with a message mentioning %q: %v", what, code, want, mention, reply)
	}
}

// TestFileTargetInSystemDirIsUnavailable: a target record naming /etc (as
// one written before the API refused it; here the first-start default)
// is unavailable with the reason, never written to.
func TestFileTargetInSystemDirIsUnavailable(t *testing.T) {
	d := startDaemon(t, "", "--default-backup-target", "file:///etc")
	testenv.Eventually(t, 20*time.Second, "the default target on /etc unavailable with the reason", func() (bool, string) {
		code, bt := d.call("GET", "/v1/backuptargets/default", "")
		msg, _ := bt["message"].(string)
		return code == 200 && bt["available"] == false && strings.Contains(msg, "system directory /etc"), fmt.Sprint(code, bt)
	})
}
