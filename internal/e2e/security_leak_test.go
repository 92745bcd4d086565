package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/plinth-storage/plinth/internal/testenv"
)

// TestSecretValuesNeverLeak gives secrets with distinctive values to an S3
// target, backs an image up through it, makes the target fail with those
// credentials, then reads everything the daemon says (every collection and
// every resource of the API, the schemas, a websocket snapshot, the event
// stream, /metrics) and its whole debug log, and fails if any value shows.
func TestSecretValuesNeverLeak(t *testing.T) {
	gw := testenv.VersityGW(t)
	d := startDaemon(t, "", "--log-level", "debug")
	canary := fmt.Sprintf("leak-canary-%d", time.Now().UnixNano())
	data := gw.Secret()
	data["PLINTH_CANARY"] = canary
	body, _ := json.Marshal(map[string]any{"name": "s3-creds", "data": data})
	d.mustCall(200, "POST", "/v1/secrets", string(body))
	bucket := gw.NewBucket(t)
	d.mustCall(200, "POST", "/v1/backuptargets", fmt.Sprintf(`{"name":"s3","backupTargetURL":"s3://%s@%s/","credentialSecret":"s3-creds"}`, bucket, gw.Region))
	d.waitTarget("s3", true)
	img := filepath.Join(t.TempDir(), "leak.raw")
	writeImage(t, img, 3<<20, 3<<20, 5)
	d.createDownload("leak-img", serveFile(t, img).URL)
	b := d.backupOf("leak-img", `{"backupTargetName":"s3"}`)
	d.waitBackup(b["name"].(string), "Completed", time.Minute)
	// The same credentials on a bucket that does not exist: error paths.
	d.mustCall(200, "POST", "/v1/backuptargets", fmt.Sprintf(`{"name":"s3-bad","backupTargetURL":"s3://no-such-bucket@%s/","credentialSecret":"s3-creds"}`, gw.Region))
	d.waitTarget("s3-bad", false)
	d.mustCall(200, "POST", "/v1/backuptargets/s3-bad?action=backupTargetSync", "")

	secrets := map[string]string{"AWS_SECRET_ACCESS_KEY": gw.SecretKey, "AWS_ACCESS_KEY_ID": gw.AccessKey, "PLINTH_CANARY": canary}
	check := func(where, text string) {
		t.Helper()
		for k, v := range secrets {
			if strings.Contains(text, v) {
				t.Errorf("%s shows the value of secret key %s", where, k)
			}
		}
	}
	for path, text := range apiReplies(t, d) {
		check("GET "+path, text)
	}
	check("the backuptargets websocket", websocketSnapshot(t, d, "backuptargets"))
	check("the event stream", eventStream(t, d))
	d.stop()
	log := d.log.String()
	if !strings.Contains(log, "s3-creds") && !strings.Contains(log, "level=DEBUG") {
		t.Fatalf("the debug log is suspiciously empty:\n%s", log)
	}
	check("the daemon's log", log)
}

// apiReplies GETs the API root, the schemas, every collection and every
// resource they list (by its self link), /metrics and /healthz, and
// returns each reply's body by path.
func apiReplies(t *testing.T, d *daemon) map[string]string {
	t.Helper()
	out := map[string]string{}
	get := func(u string) string {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatalf("GET %s: %v", u, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		out[strings.TrimPrefix(u, d.URL)] = string(b)
		return string(b)
	}
	for _, p := range []string{"/v1", "/v1/schemas", "/metrics", "/healthz"} {
		get(d.URL + p)
	}
	for _, c := range []string{"backingimages", "backupbackingimages", "backuptargets", "secrets", "nodes", "settings"} {
		var coll struct {
			Data []struct {
				Links map[string]string `json:"links"`
			} `json:"data"`
		}
		if err := json.Unmarshal([]byte(get(d.URL+"/v1/"+c)), &coll); err != nil || len(coll.Data) == 0 {
			t.Fatalf("GET /v1/%s: %v, %d items", c, err, len(coll.Data))
		}
		for _, item := range coll.Data {
			for _, link := range item.Links {
				if strings.HasPrefix(link, d.URL) && !strings.HasSuffix(link, "/download") {
					get(link)
				}
			}
		}
	}
	return out
}

// websocketSnapshot returns the first message of the websocket of kind.
func websocketSnapshot(t *testing.T, d *daemon, kind string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(d.URL, "http")+"/v1/ws/"+kind, nil)
	if err != nil {
		t.Fatalf("open the %s websocket: %v", kind, err)
	}
	defer conn.CloseNow()
	_, msg, err := conn.Read(ctx)
	if err != nil || !strings.Contains(string(msg), "credentialSecret") {
		t.Fatalf("the %s websocket sent %q, %v", kind, msg, err)
	}
	return string(msg)
}

// eventStream reads the event stream while a change happens and returns
// what it sent.
func eventStream(t *testing.T, d *daemon) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, d.URL+"/v1/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET /v1/events: %v", err)
	}
	defer resp.Body.Close()
	d.mustCall(200, "POST", "/v1/backuptargets/s3?action=backupTargetSync", "")
	var got strings.Builder
	buf := make([]byte, 4096)
	for !strings.Contains(got.String(), "event: change") {
		n, err := resp.Body.Read(buf)
		got.Write(buf[:n])
		if err != nil {
			t.Fatalf("the event stream ended before a change event (%v): %q", err, got.String())
		}
	}
	return got.String()
}
