package server

import (
	"bytes"
	"context"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// startServer runs Run in-process on a free loopback port with a temp data
// dir and returns its base URL.
func startServer(t *testing.T, dataDir string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{DataDir: dataDir, Listen: addr, NodeID: "n1", InsecureAllowPrivateSources: true, LogLevel: "warn"})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("server did not stop within 10s")
		}
	})
	base := "http://" + addr
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			return base
		}
		select {
		case err := <-done:
			t.Fatalf("server exited: %v", err)
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatal("server did not answer /healthz within 30s")
	return ""
}

func call(t *testing.T, method, url, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &m); err != nil {
			t.Fatalf("%s %s: reply is not JSON (%v): %s", method, url, err, data)
		}
	}
	return resp.StatusCode, m
}

func waitState(t *testing.T, base, name, want string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	var last map[string]any
	for time.Now().Before(deadline) {
		_, bi := call(t, "GET", base+"/v1/backingimages/"+name, "")
		last = bi
		if m, ok := bi["diskFileStatusMap"].(map[string]any); ok {
			for _, v := range m {
				st := v.(map[string]any)
				if st["state"] == want {
					return bi
				}
				if st["state"] == "failed" && want != "failed" {
					t.Fatalf("copy failed: %v", st["message"])
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("backing image %s not %s within 60s: %v", name, want, last)
	return nil
}

func TestDownloadUploadAndErrors(t *testing.T) {
	base := startServer(t, t.TempDir())
	data := make([]byte, 5<<20+123)
	rand.New(rand.NewSource(1)).Read(data[:1<<20])
	sum := sha512.Sum512(data)
	want := hex.EncodeToString(sum[:])
	src := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "img", time.Time{}, bytes.NewReader(data))
	}))
	defer src.Close()

	code, bi := call(t, "POST", base+"/v1/backingimages", fmt.Sprintf(`{"name":"dl","sourceType":"download","parameters":{"url":%q},"expectedChecksum":%q}`, src.URL, want))
	if code != 200 {
		t.Fatalf("create: %d %v", code, bi)
	}
	bi = waitState(t, base, "dl", "ready")
	if bi["currentChecksum"] != want {
		t.Fatalf("currentChecksum = %v, want %s", bi["currentChecksum"], want)
	}
	resp, err := http.Get(base + "/v1/backingimages/dl/download")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !bytes.Equal(got, data) {
		t.Fatalf("download differs from source (%d vs %d bytes)", len(got), len(data))
	}

	bad := strings.Repeat("ab", 64)
	call(t, "POST", base+"/v1/backingimages", fmt.Sprintf(`{"name":"bad","sourceType":"download","parameters":{"url":%q},"expectedChecksum":%q}`, src.URL, bad))
	bi = waitState(t, base, "bad", "failed")
	for _, v := range bi["diskFileStatusMap"].(map[string]any) {
		msg := v.(map[string]any)["message"].(string)
		if !strings.Contains(msg, want) || !strings.Contains(msg, bad) {
			t.Fatalf("failed message lacks both checksums: %s", msg)
		}
	}

	for _, body := range []string{"", "{}", `{"name":"Bad Name!","sourceType":"upload"}`, "{nope"} {
		code, e := call(t, "POST", base+"/v1/backingimages", body)
		if code < 400 || code >= 500 || e["message"] == "" {
			t.Errorf("create with %q: %d %v, want 4xx with a message", body, code, e)
		}
	}
	if code, _ := call(t, "GET", base+"/v1/backingimages/nope", ""); code != 404 {
		t.Errorf("unknown name: %d, want 404", code)
	}
	if code, _ := call(t, "POST", base+"/v1/backingimages", fmt.Sprintf(`{"name":"dl","sourceType":"download","parameters":{"url":%q}}`, src.URL)); code != 409 {
		t.Errorf("duplicate: %d, want 409", code)
	}

	call(t, "POST", base+"/v1/backingimages", `{"name":"up","sourceType":"upload"}`)
	req, _ := http.NewRequest("POST", fmt.Sprintf("%s/v1/backingimages/up?action=upload&size=%d", base, len(data)), bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("upload: %d %s", resp.StatusCode, body)
	}
	bi = waitState(t, base, "up", "ready")
	if bi["currentChecksum"] != want {
		t.Fatalf("upload checksum = %v", bi["currentChecksum"])
	}
}
