package testenv

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// NFSServer is an nfs-ganesha NFSv3/v4 server exporting a temp directory
// through its VFS backend, started for one test. Stop and Start restart it
// on the same ports and export, for tests of outages.
type NFSServer struct {
	Host      string // "127.0.0.1"
	NFSPort   int
	MountPort int
	Export    string // the exported directory (also the NFSv3 mount path)

	t    testing.TB
	bin  string
	dir  string // config, log, pid and recovery state
	proc *Process
}

const ganeshaInstall = "run ./scripts/test, which installs it " +
	"(apt-get install -y nfs-ganesha nfs-ganesha-vfs rpcbind)"

// Ganesha starts nfs-ganesha on free 127.0.0.1 ports over a temp dir and
// stops it when t ends. It needs root (the VFS backend opens files by
// handle) and a running rpcbind, which it starts if none answers: ganesha
// refuses to start when it cannot register. Clients reach it without
// rpcbind through the ports in URL.
func Ganesha(t testing.TB) *NFSServer {
	t.Helper()
	bin := FindBinary(t, "ganesha.nfsd", ganeshaInstall)
	ensureRPCBind(t)
	s := &NFSServer{Host: "127.0.0.1", t: t, bin: bin, dir: t.TempDir(), Export: filepath.Join(t.TempDir(), "export")}
	if err := os.MkdirAll(s.Export, 0o755); err != nil {
		t.Fatalf("create ganesha export dir: %v", err)
	}
	var lastErr error
	for range 3 { // a free port can be taken between probe and bind
		s.NFSPort, s.MountPort = FreePort(t), FreePort(t)
		if lastErr = s.start(); lastErr == nil {
			return s
		}
	}
	t.Fatalf("nfs-ganesha did not start: %v", lastErr)
	return nil
}

// URL returns the Longhorn-form target URL of sub (a path below the
// export; "" is the export itself), with the ports that bypass rpcbind.
func (s *NFSServer) URL(sub string) *url.URL {
	p := s.Export
	if sub != "" {
		p = filepath.Join(p, sub)
	}
	return &url.URL{Scheme: "nfs", Host: s.Host + ":", Path: p,
		RawQuery: fmt.Sprintf("port=%d&mountport=%d", s.NFSPort, s.MountPort)}
}

// Stop kills the server (as a crash would); the export's files stay.
func (s *NFSServer) Stop() { stopProcess(&s.proc) }

// Start starts the server again on the same ports after Stop.
func (s *NFSServer) Start() {
	s.t.Helper()
	restart(s.t, "nfs-ganesha", s.start)
}

func (s *NFSServer) start() error {
	conf := filepath.Join(s.dir, "ganesha.conf")
	logPath := filepath.Join(s.dir, "ganesha.log")
	_ = os.Remove(logPath)
	if err := os.MkdirAll(filepath.Join(s.dir, "recovery"), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(conf, []byte(s.config()), 0o644); err != nil {
		return fmt.Errorf("write ganesha config: %w", err)
	}
	p := StartProcess(s.t, s.bin, []string{"-F", "-f", conf, "-L", logPath, "-p", filepath.Join(s.dir, "ganesha.pid")}, nil)
	err := p.WaitReady(30*time.Second, func() error { return s.ready(logPath) })
	if err != nil {
		p.Stop()
		log, _ := os.ReadFile(logPath)
		return fmt.Errorf("%w; ganesha log:\n%s", err, tail(string(log), 2000))
	}
	s.proc = p
	return nil
}

// ready reports whether ganesha logged the end of its start-up and both
// of its ports accept connections.
func (s *NFSServer) ready(logPath string) error {
	log, err := os.ReadFile(logPath)
	if err != nil || !strings.Contains(string(log), "NFS SERVER INITIALIZED") {
		return fmt.Errorf("ganesha has not finished starting")
	}
	for _, port := range []int{s.NFSPort, s.MountPort} {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("%s:%d", s.Host, port), time.Second)
		if err != nil {
			return err
		}
		c.Close()
	}
	return nil
}

func (s *NFSServer) config() string {
	return fmt.Sprintf(`NFS_CORE_PARAM {
	Protocols = 3, 4;
	Bind_addr = %s;
	NFS_Port = %d;
	MNT_Port = %d;
	Enable_NLM = false;
	Enable_RQUOTA = false;
	Enable_UDP = false;
}
NFSv4 {
	Graceless = true;
	RecoveryBackend = fs;
	RecoveryRoot = %s;
}
EXPORT {
	Export_Id = 1;
	Path = %s;
	Pseudo = /plinth;
	Protocols = 3, 4;
	Transports = TCP;
	Access_Type = RW;
	Squash = No_Root_Squash;
	SecType = sys;
	FSAL { Name = VFS; }
}
LOG { Default_Log_Level = EVENT; }
`, s.Host, s.NFSPort, s.MountPort, filepath.Join(s.dir, "recovery"), s.Export)
}

// ensureRPCBind starts rpcbind (which daemonizes and stays up for later
// tests) unless one already answers on 127.0.0.1:111.
func ensureRPCBind(t testing.TB) {
	t.Helper()
	if c, err := net.DialTimeout("tcp", "127.0.0.1:111", time.Second); err == nil {
		c.Close()
		return
	}
	bin := FindBinary(t, "rpcbind", ganeshaInstall)
	if out, err := exec.Command(bin, "-w").CombinedOutput(); err != nil {
		t.Fatalf("start rpcbind: %v: %s", err, out)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", "127.0.0.1:111", time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("rpcbind started but does not answer on 127.0.0.1:111: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "..." + s[len(s)-n:]
}
