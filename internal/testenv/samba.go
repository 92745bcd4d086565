package testenv

import (
	"crypto/rand"
	"encoding/hex"
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

// SMBServer is a Samba smbd serving one share over a temp directory,
// started for one test. Stop and Start restart it on the same port.
type SMBServer struct {
	Host     string // "127.0.0.1"
	Port     int
	Share    string // the share name
	Dir      string // the shared directory
	User     string
	Password string

	t    testing.TB
	bin  string
	conf string
	proc *Process
}

const sambaInstall = "run ./scripts/test, which installs it (apt-get install -y samba)"

// Samba starts smbd on a free 127.0.0.1 port with a private configuration
// (state, locks, passdb and logs in a temp dir) and one share, adds the
// user root with a random password to its private passdb, and stops it
// when t ends. It needs root: smbd switches to the authenticated user.
func Samba(t testing.TB) *SMBServer {
	t.Helper()
	bin := FindBinary(t, "smbd", sambaInstall)
	smbpasswd := FindBinary(t, "smbpasswd", sambaInstall)
	state := t.TempDir()
	s := &SMBServer{
		Host: "127.0.0.1", Share: "plinth", Dir: filepath.Join(state, "share"),
		User: "root", Password: randomPassword(t),
		t: t, bin: bin, conf: filepath.Join(state, "smb.conf"),
	}
	for _, d := range []string{"share", "private", "lock", "state", "cache", "pid", "ncalrpc", "log"} {
		if err := os.MkdirAll(filepath.Join(state, d), 0o755); err != nil {
			t.Fatalf("create samba dir: %v", err)
		}
	}
	var lastErr error
	for range 3 { // a free port can be taken between probe and bind
		s.Port = FreePort(t)
		if err := os.WriteFile(s.conf, []byte(sambaConfig(state, s.Port, s.Share)), 0o644); err != nil {
			t.Fatalf("write smb.conf: %v", err)
		}
		if lastErr == nil { // the passdb outlives port changes; add the user once
			addSambaUser(t, smbpasswd, s.conf, s.User, s.Password)
		}
		if lastErr = s.start(); lastErr == nil {
			return s
		}
	}
	t.Fatalf("smbd did not start: %v", lastErr)
	return nil
}

func sambaConfig(dir string, port int, share string) string {
	p := func(sub string) string { return filepath.Join(dir, sub) }
	return fmt.Sprintf(`[global]
	server role = standalone server
	smb ports = %d
	bind interfaces only = yes
	interfaces = 127.0.0.1
	disable netbios = yes
	private dir = %s
	lock directory = %s
	state directory = %s
	cache directory = %s
	pid directory = %s
	ncalrpc dir = %s
	log file = %s
	passdb backend = tdbsam:%s
	map to guest = never
	server min protocol = SMB2_10
	load printers = no
	printing = bsd
	printcap name = /dev/null
	disable spoolss = yes
[%s]
	path = %s
	read only = no
	browseable = no
`, port, p("private"), p("lock"), p("state"), p("cache"), p("pid"), p("ncalrpc"),
		p("log/log.%m"), p("private/passdb.tdb"), share, p("share"))
}

func addSambaUser(t testing.TB, smbpasswd, conf, user, password string) {
	t.Helper()
	cmd := exec.Command(smbpasswd, "-c", conf, "-a", "-s", user)
	cmd.Stdin = strings.NewReader(password + "\n" + password + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("smbpasswd -a %s: %v: %s", user, err, out)
	}
}

func randomPassword(t testing.TB) string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "Pw-" + hex.EncodeToString(b)
}

// URL returns the target URL of sub (a path below the share; "" is the
// share itself).
func (s *SMBServer) URL(sub string) *url.URL {
	p := "/" + s.Share
	if sub != "" {
		p += "/" + sub
	}
	return &url.URL{Scheme: "cifs", Host: s.Host, Path: p, RawQuery: fmt.Sprintf("port=%d", s.Port)}
}

// Secret returns the Longhorn-style credential secret for the server.
func (s *SMBServer) Secret() map[string]string {
	return map[string]string{"CIFS_USERNAME": s.User, "CIFS_PASSWORD": s.Password}
}

// Stop kills smbd and its per-connection children.
func (s *SMBServer) Stop() { stopProcess(&s.proc) }

// Start starts smbd again on the same port after Stop.
func (s *SMBServer) Start() {
	s.t.Helper()
	restart(s.t, "smbd", s.start)
}

func (s *SMBServer) start() error {
	p := StartProcess(s.t, s.bin, []string{"--foreground", "--no-process-group", "--debug-stdout", "-d", "1", "-s", s.conf}, nil)
	err := p.WaitReady(30*time.Second, func() error {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("%s:%d", s.Host, s.Port), time.Second)
		if err != nil {
			return err
		}
		return c.Close()
	})
	if err != nil {
		p.Stop()
		return fmt.Errorf("%w; smbd output:\n%s", err, tail(p.Log.String(), 2000))
	}
	s.proc = p
	return nil
}
