package secretbox

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadOrCreateMakesPrivateFileAndReloadsIt(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "keys")
	path := filepath.Join(dir, "secrets.key")
	ring, created, err := LoadOrCreate(path)
	if err != nil || !created {
		t.Fatalf("create: %v created=%v", err, created)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v, want 0600", fi.Mode(), err)
	}
	if di, err := os.Stat(dir); err != nil || di.Mode().Perm() != 0o700 {
		t.Fatalf("key folder mode: %v %v, want 0700", di.Mode(), err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, ".secrets-key-*")); len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
	again, created, err := LoadOrCreate(path)
	if err != nil || created {
		t.Fatalf("reload: %v created=%v", err, created)
	}
	if got, want := again.IDs(), ring.IDs(); len(got) != 1 || got[0] != want[0] {
		t.Fatalf("reloaded ids %v, want %v", got, want)
	}
	sealed, err := ring.Seal("/plinth/secrets/a", []byte(`{"x":1}`))
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := again.Open("/plinth/secrets/a", sealed); err != nil || string(plain) != `{"x":1}` {
		t.Fatalf("reloaded ring opens %q, %v", plain, err)
	}
}

func TestLoadRefusesLooseModes(t *testing.T) {
	for _, mode := range []os.FileMode{0o640, 0o604, 0o660, 0o644, 0o666} {
		path := filepath.Join(t.TempDir(), "secrets.key")
		if _, _, err := LoadOrCreate(path); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, _, err := LoadOrCreate(path)
		if err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Errorf("mode %04o: %v, want a refusal that says chmod 600", mode, err)
		}
	}
	if _, _, err := LoadOrCreate(t.TempDir()); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Errorf("a folder as key file: %v", err)
	}
}

func TestLoadRefusesMalformedFiles(t *testing.T) {
	good := "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=" // 32 bytes
	cases := map[string]string{
		"not json":      "id:" + good,
		"no keys":       `{"keys":[]}`,
		"short key":     `{"keys":[{"id":"a","key":"AAEC"}]}`,
		"not base64":    `{"keys":[{"id":"a","key":"!!!"}]}`,
		"bad id":        `{"keys":[{"id":"a b","key":"` + good + `"}]}`,
		"empty id":      `{"keys":[{"id":"","key":"` + good + `"}]}`,
		"duplicate ids": `{"keys":[{"id":"a","key":"` + good + `"},{"id":"a","key":"` + good + `"}]}`,
		"empty file":    ``,
	}
	for name, content := range cases {
		path := filepath.Join(t.TempDir(), "secrets.key")
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		_, _, err := LoadOrCreate(path)
		if err == nil || !strings.Contains(err.Error(), "malformed") {
			t.Errorf("%s: %v, want a malformed error", name, err)
		}
		if err != nil && strings.Contains(err.Error(), good) {
			t.Errorf("%s: the error shows key material: %v", name, err)
		}
	}
	path := filepath.Join(t.TempDir(), "secrets.key")
	ok := `{"keys":[{"id":"second","key":"` + good + `"},{"id":"first","key":"` + good + `"}]}`
	if err := os.WriteFile(path, []byte(ok), 0o600); err != nil {
		t.Fatal(err)
	}
	ring, _, err := LoadOrCreate(path)
	if err != nil || strings.Join(ring.IDs(), ",") != "second,first" {
		t.Fatalf("well-formed file with two keys: %v %v", ring, err)
	}
}
