package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// send does one request with the given headers (Host is set as the Host
// header) and returns the status and the decoded reply.
func (d *daemon) send(method, path, body string, hdr map[string]string) (int, map[string]any) {
	d.t.Helper()
	req, err := http.NewRequest(method, d.URL+path, strings.NewReader(body))
	if err != nil {
		d.t.Fatal(err)
	}
	for k, v := range hdr {
		if k == "Host" {
			req.Host = v
			continue
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	m := map[string]any{}
	_ = json.Unmarshal(data, &m)
	return resp.StatusCode, m
}

// TestCrossOriginRequestsChangeNothing reproduces the forgeries of issue 9
// against the real binary in its default, token-less setup: a page on
// another origin (or a rebound DNS name) posting text/plain forms, JSON,
// deletes and websocket upgrades. Each is refused with the flag to use,
// and nothing changes; the CLI, the Longhorn-style client (no Origin, no
// Content-Type) and the origins and hosts the flags allow keep working.
func TestCrossOriginRequestsChangeNothing(t *testing.T) {
	d := startDaemon(t, "", "--allowed-origins", "https://ui.example:8443", "--allowed-hosts", "plinth.example")
	keep := "file://" + t.TempDir()
	d.addTarget(t, "keep", keep)

	evil := map[string]string{"Origin": "http://evil.example", "Content-Type": "text/plain"}
	forged := []struct {
		name, method, path, body string
		hdr                      map[string]string
		status                   int
		flag                     string
	}{
		{"text/plain form retargets a target", "POST", "/v1/backuptargets/keep?action=backupTargetUpdate",
			`{"backupTargetURL":"file:///tmp/evil"}`, evil, 403, "--allowed-origins"},
		{"text/plain form creates a secret", "POST", "/v1/secrets", `{"name":"forged","data":{"K":"v"}}`, evil, 403, "--allowed-origins"},
		{"form-encoded create", "POST", "/v1/backingimages", `{"name":"forged","sourceType":"upload"}`,
			map[string]string{"Origin": "http://evil.example", "Content-Type": "application/x-www-form-urlencoded"}, 403, "--allowed-origins"},
		{"cross-origin JSON create", "POST", "/v1/backingimages", `{"name":"forged","sourceType":"upload"}`,
			map[string]string{"Origin": "http://evil.example", "Content-Type": "application/json"}, 403, "--allowed-origins"},
		{"cross-site fetch without Origin", "POST", "/v1/backingimages", `{"name":"forged","sourceType":"upload"}`,
			map[string]string{"Sec-Fetch-Site": "cross-site"}, 403, "--allowed-origins"},
		{"cross-origin delete", "DELETE", "/v1/backuptargets/keep", "", map[string]string{"Origin": "http://evil.example"}, 403, "--allowed-origins"},
		{"DNS rebinding create", "POST", "/v1/secrets", `{"name":"forged","data":{"K":"v"}}`,
			map[string]string{"Host": "rebind.evil.example:9500", "Content-Type": "application/json"}, 421, "--allowed-hosts"},
		{"DNS rebinding delete", "DELETE", "/v1/backuptargets/keep", "", map[string]string{"Host": "rebind.evil.example"}, 421, "--allowed-hosts"},
		{"DNS rebinding read", "GET", "/v1/secrets", "", map[string]string{"Host": "rebind.evil.example"}, 421, "--allowed-hosts"},
		{"curl -d without a JSON type", "POST", "/v1/secrets", `{"name":"forged","data":{"K":"v"}}`,
			map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, 415, "application/json"},
	}
	for _, f := range forged {
		code, m := d.send(f.method, f.path, f.body, f.hdr)
		msg, _ := m["message"].(string)
		if code != f.status || m["type"] != "error" || !strings.Contains(msg, f.flag) {
			t.Errorf("%s: %d %v, want %d and an error naming %s", f.name, code, m, f.status, f.flag)
		}
	}
	if bt := d.mustCall(200, "GET", "/v1/backuptargets/keep", ""); bt["backupTargetURL"] != keep {
		t.Errorf("a refused request changed the target's URL to %v", bt["backupTargetURL"])
	}
	for _, p := range []string{"/v1/secrets/forged", "/v1/backingimages/forged"} {
		if code, _ := d.call("GET", p, ""); code != 404 {
			t.Errorf("GET %s: %d: a refused request created it", p, code)
		}
	}
	checkWebsocketOrigins(t, d)

	// What the flags allow, and clients that send no Origin, still work.
	d.mustCall(200, "POST", "/v1/secrets", `{"name":"plain","data":{"K":"v"}}`) // Longhorn's client: no Content-Type
	if code, m := d.send("POST", "/v1/secrets", `{"name":"from-ui","data":{"K":"v"}}`, map[string]string{
		"Origin": "https://ui.example:8443", "Sec-Fetch-Site": "cross-site", "Content-Type": "application/json"}); code != 200 {
		t.Errorf("POST from an --allowed-origins origin: %d %v", code, m)
	}
	if code, m := d.send("DELETE", "/v1/secrets/from-ui", "", map[string]string{"Host": "plinth.example", "Origin": "http://plinth.example"}); code != 200 {
		t.Errorf("same-origin DELETE through an --allowed-hosts name: %d %v", code, m)
	}
	checkCLIWorks(t, d)
}

// checkWebsocketOrigins opens the backing-image websocket from a foreign
// origin (refused), from an allowed one and with no Origin (both open).
func checkWebsocketOrigins(t *testing.T, d *daemon) {
	t.Helper()
	url := "ws" + strings.TrimPrefix(d.URL, "http") + "/v1/ws/backingimages"
	for origin, open := range map[string]bool{"http://evil.example": false, "https://ui.example:8443": true, "": true} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		hdr := http.Header{}
		if origin != "" {
			hdr.Set("Origin", origin)
		}
		conn, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPHeader: hdr})
		switch {
		case !open && err == nil:
			t.Errorf("websocket from %s opened: cross-site websocket hijacking", origin)
		case !open && (resp == nil || resp.StatusCode != 403):
			t.Errorf("websocket from %s: %v (%v), want 403", origin, err, resp)
		case open && err != nil:
			t.Errorf("websocket with Origin %q: %v, want it open", origin, err)
		case open:
			if _, msg, err := conn.Read(ctx); err != nil || !strings.Contains(string(msg), `"collection"`) {
				t.Errorf("websocket with Origin %q: first message %q, %v", origin, msg, err)
			}
		}
		if conn != nil {
			conn.CloseNow()
		}
		cancel()
	}
}

// checkCLIWorks drives the plinth binary's client commands, which send
// JSON with Content-Type and no Origin, through create, update and delete.
func checkCLIWorks(t *testing.T, d *daemon) {
	t.Helper()
	dir := "file://" + t.TempDir()
	for _, args := range [][]string{
		{"secret", "create", "cli-creds", "--from-literal", "K=v"},
		{"target", "create", "cli", "--url", dir},
		{"target", "update", "cli", "--poll-interval", "600"},
		{"target", "sync", "cli"},
		{"setting", "list"},
		{"target", "delete", "cli"},
		{"secret", "delete", "cli-creds"},
	} {
		if out, err := d.plinthCLI(args...); err != nil {
			t.Fatalf("plinth %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}
