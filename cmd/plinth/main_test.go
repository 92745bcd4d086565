package main

import (
	"bytes"
	"context"
	"encoding/json"
	"runtime"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/client/clienttest"
)

// plinth runs one command line against env and returns exit code, stdout
// and stderr.
func plinth(t *testing.T, env map[string]string, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errOut, lookup)
	return code, out.String(), errOut.String()
}

func TestVersion(t *testing.T) {
	code, out, _ := plinth(t, nil, "", "version")
	if code != 0 || !strings.Contains(out, "plinth dev") || !strings.Contains(out, runtime.Version()) {
		t.Fatalf("%d %q", code, out)
	}
}

func TestListJSONThroughEnvServerAndToken(t *testing.T) {
	f := clienttest.New(t)
	f.Token = "t0k"
	f.PutImage(apitypes.BackingImage{Name: "img"}, nil)
	env := map[string]string{"PLINTH_SERVER": f.URL, "PLINTH_TOKEN": "t0k", "PLINTH_OUTPUT": "json"}
	code, out, errOut := plinth(t, env, "", "bi", "list")
	var images []apitypes.BackingImage
	if code != 0 || json.Unmarshal([]byte(out), &images) != nil || len(images) != 1 {
		t.Fatalf("code %d out %q err %q", code, out, errOut)
	}
	delete(env, "PLINTH_TOKEN")
	code, _, errOut = plinth(t, env, "", "backing-image", "list")
	if code != 1 || !strings.Contains(errOut, "plinth: list backing images: missing or wrong token") {
		t.Fatalf("without token: %d %q", code, errOut)
	}
}

func TestServerMessageAndExitCode(t *testing.T) {
	f := clienttest.New(t)
	code, out, errOut := plinth(t, nil, "", "--server", f.URL, "bi", "get", "missing")
	want := `plinth: get backing image "missing": backing image "missing" not found (HTTP 404)` + "\n"
	if code != 1 || out != "" || errOut != want {
		t.Fatalf("code %d out %q err %q", code, out, errOut)
	}
	if code, _, errOut := plinth(t, nil, "", "--server", f.URL, "bi", "create", "x"); code != 1 || !strings.Contains(errOut, "url") {
		t.Fatalf("create without source: %d %q", code, errOut)
	}
	if code, _, errOut := plinth(t, nil, "", "--server", f.URL, "-o", "yaml", "bi", "list"); code != 1 || !strings.Contains(errOut, "table or json") {
		t.Fatalf("bad output: %d %q", code, errOut)
	}
}

func TestBatchBackupAndSecretFromStdin(t *testing.T) {
	f := clienttest.New(t)
	f.PutImage(apitypes.BackingImage{Name: "a"}, nil)
	f.PutImage(apitypes.BackingImage{Name: "b"}, nil)
	env := map[string]string{"PLINTH_SERVER": f.URL}
	code, out, errOut := plinth(t, env, "", "backup", "create", "a", "b", "--target", "default")
	if code != 0 || !strings.Contains(out, "a-") || !strings.Contains(out, "b-") {
		t.Fatalf("batch: %d %q %q", code, out, errOut)
	}
	code, out, errOut = plinth(t, env, "swordfish\n", "secret", "create", "creds", "--from-file", "PASSWORD=-", "--from-literal", "USER=me")
	if code != 0 || strings.Contains(out+errOut, "swordfish") || f.SecretData("creds")["PASSWORD"] != "swordfish" {
		t.Fatalf("secret: %d %q %q %v", code, out, errOut, f.SecretData("creds"))
	}
}

func TestTargetUpdateSendsOnlyGivenFlags(t *testing.T) {
	f := clienttest.New(t)
	env := map[string]string{"PLINTH_SERVER": f.URL}
	if code, _, errOut := plinth(t, env, "v\n", "secret", "create", "sec", "--from-file", "K=-"); code != 0 {
		t.Fatalf("secret: %q", errOut)
	}
	if code, _, errOut := plinth(t, env, "", "target", "create", "nas", "--url", "nfs://nas:/b", "--secret", "sec"); code != 0 {
		t.Fatalf("create: %q", errOut)
	}
	code, out, errOut := plinth(t, env, "", "-o", "json", "target", "update", "nas", "--poll-interval", "600")
	var bt apitypes.BackupTarget
	if code != 0 || json.Unmarshal([]byte(out), &bt) != nil || bt.BackupTargetURL != "nfs://nas:/b" || bt.CredentialSecret != "sec" || bt.PollInterval != "10m0s" {
		t.Fatalf("update: %d %q %q", code, out, errOut)
	}
}

func TestServerRejectsBadEnvBeforeStarting(t *testing.T) {
	code, _, errOut := plinth(t, map[string]string{"PLINTH_LOG_LEVEL": "info", "PLINTH_INSECURE_ALLOW_PRIVATE_SOURCES": "perhaps"}, "", "server")
	if code != 1 || !strings.Contains(errOut, "PLINTH_INSECURE_ALLOW_PRIVATE_SOURCES") {
		t.Fatalf("%d %q", code, errOut)
	}
}
