package testenv

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/storage/azblob"
)

// AzuriteServer is an Azurite blob service started for one test, with the
// well-known development account. Stop and Start restart it on the same
// port and data directory.
type AzuriteServer struct {
	Endpoint string // "http://127.0.0.1:PORT", as Longhorn's AZBLOB_ENDPOINT
	Account  string
	Key      string
	Dir      string

	t    testing.TB
	bin  string
	port int
	proc *Process
}

const azuriteInstall = "run ./scripts/test, which installs it (npm install -g azurite@3.37.0)"

// Azurite's documented development account and key (public, for local
// emulators only).
const (
	azuriteAccount = "devstoreaccount1"
	azuriteKey     = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

// Azurite starts azurite-blob on a free 127.0.0.1 port over a temp dir,
// with telemetry off and the API version check skipped (the SDK speaks a
// newer version than Azurite 3.37 knows), and stops it when t ends.
func Azurite(t testing.TB) *AzuriteServer {
	t.Helper()
	s := &AzuriteServer{
		Account: azuriteAccount, Key: azuriteKey, Dir: t.TempDir(),
		t: t, bin: FindBinary(t, "azurite-blob", azuriteInstall),
	}
	var lastErr error
	for range 3 { // a free port can be taken between probe and bind
		s.port = FreePort(t)
		s.Endpoint = fmt.Sprintf("http://127.0.0.1:%d", s.port)
		if lastErr = s.start(); lastErr == nil {
			return s
		}
	}
	t.Fatalf("azurite-blob did not start: %v", lastErr)
	return nil
}

func (s *AzuriteServer) start() error {
	p := StartProcess(s.t, s.bin, []string{
		"--blobHost", "127.0.0.1", "--blobPort", fmt.Sprint(s.port), "--location", s.Dir,
		"--skipApiVersionCheck", "--disableTelemetry", "--disableProductStyleUrl", "--silent",
	}, []string{"HOME=" + s.Dir})
	err := p.WaitReady(30*time.Second, func() error {
		c := http.Client{Timeout: time.Second}
		resp, err := c.Get(s.Endpoint + "/" + s.Account + "?comp=list")
		if err != nil {
			return err
		}
		return resp.Body.Close()
	})
	if err != nil {
		p.Stop()
		return fmt.Errorf("%w; azurite output:\n%s", err, tail(p.Log.String(), 2000))
	}
	s.proc = p
	return nil
}

// Stop shuts Azurite down gracefully (SIGTERM), so that it saves its
// metadata and Start finds the blobs again; it is killed after 10 s.
func (s *AzuriteServer) Stop() {
	if s.proc == nil {
		return
	}
	_ = syscall.Kill(-s.proc.Cmd.Process.Pid, syscall.SIGTERM)
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); {
		if exited, _ := s.proc.Exited(); exited {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.proc.Stop()
	s.proc = nil
}

// Start starts Azurite again on the same port after Stop.
func (s *AzuriteServer) Start() {
	s.t.Helper()
	var err error
	for range 20 {
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	s.t.Fatalf("restart azurite-blob: %v", err)
}

// Secret returns the Longhorn-style credential secret for the server.
func (s *AzuriteServer) Secret() map[string]string {
	return map[string]string{
		"AZBLOB_ACCOUNT_NAME": s.Account,
		"AZBLOB_ACCOUNT_KEY":  s.Key,
		"AZBLOB_ENDPOINT":     s.Endpoint,
	}
}

// URL returns the Longhorn-form target URL of sub in container.
func (s *AzuriteServer) URL(container, sub string) *url.URL {
	return &url.URL{Scheme: "azblob", User: url.User(container), Host: "core.windows.net", Path: "/" + sub}
}

var containerSeq atomic.Int64

// NewContainer creates a new, empty container and returns its name.
func (s *AzuriteServer) NewContainer(t testing.TB) string {
	t.Helper()
	cred, err := azblob.NewSharedKeyCredential(s.Account, s.Key)
	if err != nil {
		t.Fatal(err)
	}
	client, err := azblob.NewClientWithSharedKeyCredential(s.Endpoint+"/"+s.Account+"/", cred, nil)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("plinth-test-%d", containerSeq.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := client.CreateContainer(ctx, name, nil); err != nil {
		t.Fatalf("create container %s on azurite %s: %v", name, s.Endpoint, err)
	}
	return name
}
