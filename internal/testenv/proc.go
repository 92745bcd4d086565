package testenv

import (
	"bytes"
	"errors"
	"fmt"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Process is a server process started for a test. Its stdout and stderr go
// to Log, which is printed when the test fails.
type Process struct {
	Cmd *exec.Cmd
	Log *SyncBuffer

	done    chan struct{}
	waitErr error
}

// SyncBuffer is a bytes.Buffer safe for the concurrent writes of a child
// process's stdout and stderr.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// String returns everything written so far.
func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// FindBinary locates name in PATH or in $(go env GOPATH)/bin, failing the
// test with install instructions when it is missing.
func FindBinary(t testing.TB, name, install string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	p := filepath.Join(build.Default.GOPATH, "bin", name)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	t.Fatalf("%s not found in PATH or %s: %s", name, filepath.Dir(p), install)
	return ""
}

// StartProcess starts bin with args and exactly the environment env (plus
// PATH), registers a Cleanup that kills it and, if the test failed, logs
// its output.
func StartProcess(t testing.TB, bin string, args, env []string) *Process {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	p := &Process{Cmd: cmd, Log: &SyncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.Log, p.Log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(bin), p.Log.String())
		}
	})
	return p
}

// Exited reports whether the process has ended, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		return true, p.waitErr
	default:
		return false, nil
	}
}

// Stop kills the process group (the server and any children) and waits
// for the process to end.
func (p *Process) Stop() {
	if exited, _ := p.Exited(); exited {
		return
	}
	_ = syscall.Kill(-p.Cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
	}
}

// WaitReady polls ready every 50 ms until it returns nil, the process
// exits, or timeout passes.
func (p *Process) WaitReady(timeout time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		if exited, werr := p.Exited(); exited {
			return errors.Join(fmt.Errorf("process exited before it was ready: %v", werr), err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not ready after %v: %w", timeout, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// stopProcess stops *p, if running, and forgets it.
func stopProcess(p **Process) {
	if *p != nil {
		(*p).Stop()
		*p = nil
	}
}

// restart calls start until it succeeds (the old listening sockets of a
// stopped server may linger for a moment), failing the test after 5 s.
func restart(t testing.TB, what string, start func() error) {
	t.Helper()
	var err error
	for range 20 {
		if err = start(); err == nil {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("restart %s: %v", what, err)
}
