package e2e

import (
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCreateErrorsAreClientErrors(t *testing.T) {
	d := startDaemon(t, "")
	for _, body := range []string{"", "{}", `{"name":"Not Valid!","sourceType":"upload"}`, `{"name":"x1","sourceType":"download","parameters":{"url":"ftp://h/x"}}`} {
		code, e := d.call("POST", "/v1/backingimages", body)
		if code < 400 || code >= 500 {
			t.Errorf("create with %q: status %d, want 4xx", body, code)
		}
		if msg, _ := e["message"].(string); msg == "" || e["type"] != "error" {
			t.Errorf("create with %q: error envelope without a message: %v", body, e)
		}
	}
	if code, _ := d.call("GET", "/v1/backingimages/missing", ""); code != 404 {
		t.Errorf("GET unknown image: %d, want 404", code)
	}
	d.mustCall(200, "POST", "/v1/backingimages", `{"name":"dup","sourceType":"upload"}`)
	if code, _ := d.call("POST", "/v1/backingimages", `{"name":"dup","sourceType":"upload"}`); code != 409 {
		t.Errorf("duplicate create: %d, want 409", code)
	}
}

func TestSchemasAndLinksWork(t *testing.T) {
	d := startDaemon(t, "")
	img := filepath.Join(t.TempDir(), "s.raw")
	writeImage(t, img, 1<<20, 1<<20, 1)
	src := serveFile(t, img)
	schemas := d.mustCall(200, "GET", "/v1/schemas", "")
	found := false
	for _, s := range schemas["data"].([]any) {
		sc := s.(map[string]any)
		if sc["id"] != "backingImage" {
			continue
		}
		found = true
		for _, k := range []string{"resourceFields", "resourceActions", "collectionMethods", "resourceMethods"} {
			if sc[k] == nil {
				t.Errorf("backingImage schema lacks %s", k)
			}
		}
	}
	if !found {
		t.Fatal("GET /v1/schemas does not list backingImage")
	}
	bi := d.mustCall(200, "POST", "/v1/backingimages", fmt.Sprintf(`{"name":"s1","sourceType":"download","parameters":{"url":%q}}`, src.URL))
	d.waitImage("s1", time.Minute, allCopies("ready"))
	self := bi["links"].(map[string]any)["self"].(string)
	resp, err := http.Get(self)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("following links.self %s: %v %v", self, err, resp)
	}
	resp.Body.Close()
	action := bi["actions"].(map[string]any)["updateMinNumberOfCopies"].(string)
	resp, err = http.Post(action, "application/json", strings.NewReader(`{"minNumberOfCopies":1}`))
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("following actions.updateMinNumberOfCopies %s: %v %v", action, err, resp)
	}
	resp.Body.Close()
}

func TestSecondCopyAndCleanup(t *testing.T) {
	d := startDaemon(t, "")
	disk2 := t.TempDir()
	node := d.mustCall(200, "GET", "/v1/nodes/node-1", "")
	disks := node["disks"].(map[string]any)
	def := disks["default-disk"].(map[string]any)
	body := fmt.Sprintf(`{"disks":{"default-disk":{"path":%q,"diskType":"filesystem","allowScheduling":true},"second":{"path":%q,"allowScheduling":true}}}`, def["path"], disk2)
	d.mustCall(200, "POST", "/v1/nodes/node-1?action=diskUpdate", body)
	if code, _ := d.call("POST", "/v1/nodes/node-1?action=diskUpdate", `{"disks":{"b":{"path":"/dev/null","diskType":"block"}}}`); code != 422 {
		t.Errorf("block disk: %d, want 422", code)
	}
	img := filepath.Join(t.TempDir(), "two.raw")
	writeImage(t, img, 8<<20, 2<<20, 2)
	sum := sha512File(t, img)
	src := serveFile(t, img)
	d.mustCall(200, "POST", "/v1/backingimages", fmt.Sprintf(`{"name":"two","sourceType":"download","parameters":{"url":%q},"minNumberOfCopies":2}`, src.URL))
	bi := d.waitImage("two", time.Minute, func(bi map[string]any) bool { return len(copies(bi)) == 2 && allCopies("ready")(bi) })
	if bi["currentChecksum"] != sum {
		t.Fatalf("checksum %v", bi["currentChecksum"])
	}
	var one string
	for uuid := range bi["diskFileStatusMap"].(map[string]any) {
		one = uuid
	}
	if code, e := d.call("POST", "/v1/backingimages/two?action=backingImageCleanup", fmt.Sprintf(`{"disks":[%q]}`, one)); code != 409 {
		t.Fatalf("cleanup below minNumberOfCopies: %d %v, want 409", code, e)
	}
	d.mustCall(200, "POST", "/v1/backingimages/two?action=updateMinNumberOfCopies", `{"minNumberOfCopies":1}`)
	d.mustCall(200, "POST", "/v1/backingimages/two?action=backingImageCleanup", fmt.Sprintf(`{"disks":[%q]}`, one))
	d.waitImage("two", 30*time.Second, func(bi map[string]any) bool { return len(copies(bi)) == 1 })
	d.mustCall(200, "DELETE", "/v1/backingimages/two", "")
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if code, _ := d.call("GET", "/v1/backingimages/two", ""); code == 404 {
			left, _ := filepath.Glob(filepath.Join(d.dataDir, "disks", "*", "backing-images", "two-*"))
			left2, _ := filepath.Glob(filepath.Join(disk2, "backing-images", "two-*"))
			if len(left)+len(left2) > 0 {
				t.Fatalf("copies left after delete: %v %v", left, left2)
			}
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("image not deleted within 30s")
}
