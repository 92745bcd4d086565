package uitest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/plinth-storage/plinth/internal/server"
	"github.com/plinth-storage/plinth/internal/testenv"
)

// plinth is a plinth server running in-process for one test.
type plinth struct {
	t       *testing.T
	URL     string // "http://127.0.0.1:PORT"
	dataDir string
}

// startPlinth runs server.Run on a free loopback port with a temp data dir
// and stops it when the test ends. It fails unless the server answers
// /healthz and serves the UI at /.
func startPlinth(t *testing.T) *plinth {
	t.Helper()
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	dataDir := t.TempDir() // before the stop below is registered, so it is removed after the server stops
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- server.Run(ctx, server.Options{DataDir: dataDir, Listen: addr, NodeID: "node-1",
			InsecureAllowPrivateSources: true, LogLevel: "warn"})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			t.Errorf("plinth server did not stop within 15s")
		}
	})
	p := &plinth{t: t, URL: "http://" + addr, dataDir: dataDir}
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-done:
			done <- err // for the clean-up, which waits for the exit
			t.Fatalf("plinth server exited at start: %v", err)
		default:
		}
		if resp, err := http.Get(p.URL + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("plinth server did not answer /healthz on %s within 60s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	resp, err := http.Get(p.URL + "/")
	if err != nil {
		t.Fatalf("GET /: %v", err)
	}
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/html") {
		t.Fatalf("GET / answered %d %q, not the UI: the server must call web.Register on its mux", resp.StatusCode, ct)
	}
	return p
}

// call does one JSON request to the API and returns the status and the
// decoded reply (nil for an empty one).
func (p *plinth) call(method, path string, body any) (int, map[string]any) {
	p.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			p.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, p.URL+path, rd)
	if err != nil {
		p.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &m); err != nil {
			p.t.Fatalf("%s %s: reply is not JSON: %s", method, path, data)
		}
	}
	return resp.StatusCode, m
}

// must is call that fails the test unless the reply is a 2xx.
func (p *plinth) must(method, path string, body any) map[string]any {
	p.t.Helper()
	code, m := p.call(method, path, body)
	if code < 200 || code > 299 {
		p.t.Fatalf("%s %s: status %d: %v", method, path, code, m)
	}
	return m
}

// waitFor polls get(path) until pred holds, failing after timeout with
// the last reply.
func (p *plinth) waitFor(path string, timeout time.Duration, what string, pred func(code int, m map[string]any) bool) map[string]any {
	p.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		code, m := p.call(http.MethodGet, path, nil)
		if pred(code, m) {
			return m
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s: not within %s; last GET %s: %d %v", what, timeout, path, code, m)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// waitImageReady waits until backing image name has a ready copy and
// returns it.
func (p *plinth) waitImageReady(name string, timeout time.Duration) map[string]any {
	p.t.Helper()
	return p.waitFor("/v1/backingimages/"+name, timeout, "backing image "+name+" ready", func(code int, m map[string]any) bool {
		if code != http.StatusOK {
			return false
		}
		copies, _ := m["diskFileStatusMap"].(map[string]any)
		for _, c := range copies {
			if st, _ := c.(map[string]any)["state"].(string); st == "ready" {
				return true
			}
		}
		return false
	})
}

// addTarget creates a backup target through the API and waits until it
// is available.
func (p *plinth) addTarget(name, url, secret string) {
	p.t.Helper()
	p.must(http.MethodPost, "/v1/backuptargets", map[string]string{
		"name": name, "backupTargetURL": url, "credentialSecret": secret, "pollInterval": "300"})
	p.waitFor("/v1/backuptargets/"+name, 60*time.Second, "backup target "+name+" available", func(code int, m map[string]any) bool {
		return code == http.StatusOK && m["available"] == true
	})
}

// addBlockDisk adds a block disk for data engine v2 to node-1: a file of
// size bytes in the server's data dir, used as a block device. The node's existing
// disks are kept (diskUpdate takes the whole desired set).
func (p *plinth) addBlockDisk(size int64) {
	p.t.Helper()
	node := p.must(http.MethodGet, "/v1/nodes/node-1", nil)
	disks := map[string]any{}
	for name, d := range node["disks"].(map[string]any) {
		disks[name] = d
	}
	disks["block-1"] = map[string]any{"path": filepath.Join(p.dataDir, "block-1.img"), "diskType": "block",
		"allowScheduling": true, "size": size, "tags": []string{}}
	p.must(http.MethodPost, "/v1/nodes/node-1?action=diskUpdate", map[string]any{"disks": disks})
	p.waitFor("/v1/nodes/node-1", 30*time.Second, "block disk ready", func(code int, m map[string]any) bool {
		d, _ := m["disks"].(map[string]any)["block-1"].(map[string]any)
		uuid, _ := d["diskUUID"].(string)
		return code == http.StatusOK && uuid != ""
	})
}
