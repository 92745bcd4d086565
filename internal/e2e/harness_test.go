// Package e2e runs the real plinth binary as a user would: started with
// its flags, talked to over HTTP, killed with SIGKILL and restarted.
package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"github.com/plinth-storage/plinth/internal/testenv"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

var plinthBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "plinth-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	plinthBin = filepath.Join(dir, "plinth")
	// PLINTH_E2E_RACE=1 builds the binary with the race detector; a race
	// report in a daemon's log then fails the test (see stop).
	args := []string{"build", "-o", plinthBin}
	if os.Getenv("PLINTH_E2E_RACE") == "1" {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "github.com/plinth-storage/plinth/cmd/plinth")...)
	build.Stdout, build.Stderr = os.Stdout, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building plinth for the e2e tests failed:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// daemon is one plinth server process.
type daemon struct {
	t       *testing.T
	dataDir string
	addr    string
	URL     string
	cmd     *exec.Cmd
	log     *bytes.Buffer
	extra   []string
}

// startDaemon starts plinth server with a fresh (or given) data dir.
func startDaemon(t *testing.T, dataDir string, extra ...string) *daemon {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	addr := freeAddr(t)
	d := &daemon{t: t, dataDir: dataDir, addr: addr, URL: "http://" + addr, extra: extra}
	d.start()
	t.Cleanup(d.stop)
	return d
}

func (d *daemon) start() {
	d.t.Helper()
	args := append([]string{"server", "--data-dir", d.dataDir, "--listen", d.addr, "--node-id", "node-1",
		"--insecure-allow-private-sources", "--log-level", "info"}, d.extra...)
	d.cmd = exec.Command(plinthBin, args...)
	d.log = &bytes.Buffer{}
	d.cmd.Stdout, d.cmd.Stderr = d.log, d.log
	if err := d.cmd.Start(); err != nil {
		d.t.Fatalf("start plinth: %v", err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(d.URL + "/healthz"); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	d.t.Fatalf("plinth did not answer within 60s; log:\n%s", d.log.String())
}

// kill sends SIGKILL and waits for the process to die.
func (d *daemon) kill() {
	_ = d.cmd.Process.Signal(syscall.SIGKILL)
	_ = d.cmd.Wait()
}

// restart kills the process (if running) and starts it again on the same
// address and data dir.
func (d *daemon) restart() {
	d.kill()
	d.start()
}

func (d *daemon) stop() {
	if d.cmd.ProcessState == nil {
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = d.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			d.kill()
		}
	}
	if strings.Contains(d.log.String(), "WARNING: DATA RACE") {
		d.t.Errorf("the daemon reported a data race")
	}
	if d.t.Failed() {
		d.t.Logf("plinth log:\n%s", d.log.String())
	}
}

// call does a JSON request and decodes the reply into a map.
func (d *daemon) call(method, path, body string) (int, map[string]any) {
	d.t.Helper()
	req, _ := http.NewRequest(method, d.URL+path, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	m := map[string]any{}
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &m); err != nil {
			d.t.Fatalf("%s %s: reply is not JSON (%v): %s", method, path, err, data)
		}
	}
	return resp.StatusCode, m
}

// mustCall is call that fails the test unless the status is want.
func (d *daemon) mustCall(want int, method, path, body string) map[string]any {
	d.t.Helper()
	code, m := d.call(method, path, body)
	if code != want {
		d.t.Fatalf("%s %s: status %d, want %d: %v", method, path, code, want, m)
	}
	return m
}

// copies returns the image's diskFileStatusMap values.
func copies(bi map[string]any) []map[string]any {
	var out []map[string]any
	m, _ := bi["diskFileStatusMap"].(map[string]any)
	for _, v := range m {
		out = append(out, v.(map[string]any))
	}
	return out
}

// waitImage polls the image until pred holds for it, failing after timeout.
func (d *daemon) waitImage(name string, timeout time.Duration, pred func(bi map[string]any) bool) map[string]any {
	d.t.Helper()
	deadline := time.Now().Add(timeout)
	var last map[string]any
	for time.Now().Before(deadline) {
		code, bi := d.call("GET", "/v1/backingimages/"+name, "")
		if code == 200 {
			last = bi
			if pred(bi) {
				return bi
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	d.t.Fatalf("backing image %s: condition not met within %s; last: %v", name, timeout, last)
	return nil
}

// allCopies returns a predicate: at least one copy, and every copy in state.
func allCopies(state string) func(map[string]any) bool {
	return func(bi map[string]any) bool {
		cs := copies(bi)
		if len(cs) == 0 {
			return false
		}
		for _, c := range cs {
			if c["state"] != state {
				return false
			}
		}
		return true
	}
}

func anyCopy(state string) func(map[string]any) bool {
	return func(bi map[string]any) bool {
		for _, c := range copies(bi) {
			if c["state"] == state {
				return true
			}
		}
		return false
	}
}

// freeAddr returns a loopback address with a port free at the time of the
// call, for a daemon a test starts by hand.
func freeAddr(t *testing.T) string {
	t.Helper()
	return fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
}
