package api

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFileTargetsRefuseSystemAndDataDirectories(t *testing.T) {
	tmp := t.TempDir()
	data := filepath.Join(tmp, "data")
	if err := os.MkdirAll(filepath.Join(data, "backupstore"), 0o755); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(tmp, "to-data")
	if err := os.Symlink(data, link); err != nil {
		t.Fatal(err)
	}
	s := &Server{d: Deps{DataDir: data}}
	for _, u := range []string{"file:///", "file:///etc", "file:///etc/plinth", "file:///usr/../etc", "file:///proc/1",
		"file://" + data, "file://" + data + "/etcd", "file://" + data + "/backupstore/../disk", "file://" + link + "/x",
		"file://" + data + "/backupstore/sub"} {
		err := s.checkFileTarget(u)
		if statusOf(err) != http.StatusUnprocessableEntity {
			t.Errorf("%s: %v, want a 422", u, err)
			continue
		}
		if !strings.Contains(err.Error(), u) {
			t.Errorf("%s: message %q does not name the URL", u, err)
		}
	}
	for _, u := range []string{"file://" + data + "/backupstore", "file://" + link + "/backupstore", "file://" + filepath.Join(tmp, "elsewhere"),
		"s3://bucket@us-east-1/etc"} {
		if err := s.checkFileTarget(u); err != nil {
			t.Errorf("%s: %v, want accepted", u, err)
		}
	}
}

func TestDeclaredUploadSize(t *testing.T) {
	raw := httptest.NewRequest("POST", "/x", strings.NewReader("12345"))
	raw.Header.Set("Content-Type", "application/octet-stream")
	form := httptest.NewRequest("POST", "/x", strings.NewReader("12345"))
	form.Header.Set("Content-Type", "multipart/form-data; boundary=b")
	for _, c := range []struct {
		r    *http.Request
		size int64
		want int64
	}{{raw, -1, 5}, {raw, 3, 3}, {form, -1, -1}, {form, 7, 7}} {
		if got := declaredSize(c.r, c.size); got != c.want {
			t.Errorf("declaredSize(%s, %d) = %d, want %d", c.r.Header.Get("Content-Type"), c.size, got, c.want)
		}
	}
}
