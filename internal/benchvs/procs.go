package benchvs

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is a child process (versitygw or the plinth daemon) whose output
// goes to a log file in the work directory.
type server struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error
}

// freePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port on 127.0.0.1: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startServer starts bin with args and exactly env (plus PATH and HOME),
// logging to logPath, then polls probe every 50 ms until it answers (nil),
// the process exits, or timeout passes.
func startServer(name, bin string, args, env []string, logPath string, probe func() error, timeout time.Duration) (*server, error) {
	lf, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("create %s log %s: %w", name, logPath, err)
	}
	defer lf.Close()
	cmd := exec.Command(bin, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + filepath.Dir(logPath)}, env...)
	cmd.Stdout, cmd.Stderr = lf, lf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (%s): %w", name, bin, err)
	}
	s := &server{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() { s.err = cmd.Wait(); close(s.done) }()
	deadline := time.Now().Add(timeout)
	for {
		perr := probe()
		if perr == nil {
			return s, nil
		}
		select {
		case <-s.done:
			return nil, fmt.Errorf("%s exited before it was ready (%v): %v\n%s", name, s.err, perr, s.tail())
		default:
		}
		if time.Now().After(deadline) {
			s.stop()
			return nil, fmt.Errorf("%s not ready after %v: %v\n%s", name, timeout, perr, s.tail())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// pid is the server's process id.
func (s *server) pid() int { return s.cmd.Process.Pid }

// stop kills the server's process group and waits up to 10 s for it.
func (s *server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
	}
}

// tail returns the last lines of the server's log, for error messages.
func (s *server) tail() string {
	b, err := os.ReadFile(s.log)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 20 {
		lines = lines[len(lines)-20:]
	}
	return s.name + " log (" + s.log + "):\n  " + strings.Join(lines, "\n  ")
}

// httpAnswers is a readiness probe: any HTTP response from url means the
// server listens.
func httpAnswers(url string) func() error {
	return func() error {
		c := http.Client{Timeout: time.Second}
		resp, err := c.Get(url)
		if err != nil {
			return err
		}
		return resp.Body.Close()
	}
}

// findBinary locates name in PATH or in $(go env GOPATH)/bin; a missing
// binary is an error that says how to install it.
func findBinary(name, install string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		home, _ := os.UserHomeDir()
		gopath = filepath.Join(home, "go")
	}
	p := filepath.Join(gopath, "bin", name)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("%s not found in PATH or %s: %s", name, filepath.Dir(p), install)
}

// resetPeakRSS resets the peak resident set size (VmHWM) of process pid.
func resetPeakRSS(pid int) error {
	p := fmt.Sprintf("/proc/%d/clear_refs", pid)
	if err := os.WriteFile(p, []byte("5"), 0); err != nil {
		return fmt.Errorf("reset peak RSS of pid %d (%s; needs the same user or root): %w", pid, p, err)
	}
	return nil
}

// peakRSS returns the peak resident set size (VmHWM) of process pid in
// bytes since the last resetPeakRSS.
func peakRSS(pid int) (int64, error) { return statusKB(pid, "VmHWM") }

// currentRSS returns the resident set size (VmRSS) of process pid in bytes.
func currentRSS(pid int) (int64, error) { return statusKB(pid, "VmRSS") }

// statusKB reads field (a "kB" value) of /proc/PID/status, in bytes.
func statusKB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, fmt.Errorf("read %s of pid %d: %w", field, pid, err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("parse %s %q of pid %d: %w", field, v, pid, err)
			}
			return kb << 10, nil
		}
	}
	return 0, errors.New("no " + field + " line in /proc/" + strconv.Itoa(pid) + "/status")
}

// clockTicks is the kernel's USER_HZ, the unit of /proc/PID/stat's times
// (100 on every Linux architecture Go supports).
const clockTicks = 100

// cpuSeconds returns the user+system CPU time process pid has used, from
// fields 14 and 15 of /proc/PID/stat (counted after the ")" that ends the
// command name, which may itself hold spaces).
func cpuSeconds(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("read the CPU time of pid %d: %w", pid, err)
	}
	_, rest, ok := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if !ok || len(f) < 13 {
		return 0, fmt.Errorf("read the CPU time of pid %d: unexpected /proc/%d/stat", pid, pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("read the CPU time of pid %d: bad utime/stime %q %q", pid, f[11], f[12])
	}
	return float64(utime+stime) / clockTicks, nil
}
