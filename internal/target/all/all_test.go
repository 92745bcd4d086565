package all_test

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/plinth-storage/plinth/internal/target/all"
	"github.com/plinth-storage/plinth/internal/target/limit"
	"github.com/plinth-storage/plinth/internal/target/metrics"
	"github.com/plinth-storage/plinth/internal/target/retry"
	"github.com/plinth-storage/plinth/internal/testenv"
)

func TestValidateURL(t *testing.T) {
	good := []string{
		"s3://bucket@us-east-1/",
		"s3://bucket@us-east-1/backups/site-a",
		"file:///var/lib/plinth/backups",
		"cifs://server/share$/path",
	}
	for _, u := range good {
		if err := all.ValidateURL(u); err != nil {
			t.Errorf("ValidateURL(%q) = %v, want nil", u, err)
		}
	}
	bad := map[string]string{
		"":                              "empty",
		"ftp://host/path":               "unsupported backup target scheme \"ftp\", must be one of s3, azblob, nfs, cifs, file",
		"/just/a/path":                  "unsupported backup target scheme",
		"s3://bucket/path":              "s3://bucket@region/path",
		"s3://bucket@us-east-1/a$b":     "$",
		"file:///a,b":                   "comma",
		"s3://bucket@us-east-1/?x=1":    "unknown parameter \"x\"",
		"file://host/abs":               "host",
		"file:///tmp/x#frag":            "fragment",
		"nfs://server:/export?foo=bar":  "unknown parameter",
		"s3://bucket@us-east-1/a/../b/": "invalid key",
	}
	for u, want := range bad {
		err := all.ValidateURL(u)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ValidateURL(%q) = %v, want an error containing %q", u, err, want)
		}
	}
}

func TestOpenFile(t *testing.T) {
	dir := t.TempDir()
	tg, err := all.Open(context.Background(), "file://"+dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if tg.Properties().Scheme != "file" {
		t.Fatalf("Open(file://) gave a %s target", tg.Properties().Scheme)
	}
	if err := tg.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func TestOpenS3(t *testing.T) {
	srv := testenv.VersityGW(t)
	bucket := srv.NewBucket(t)
	tg, err := all.Open(context.Background(), "s3://"+bucket+"@us-east-1/plinth", srv.Secret())
	if err != nil {
		t.Fatal(err)
	}
	w := all.Wrap(tg, prometheus.NewRegistry())
	ctx := context.Background()
	if err := w.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if got, err := w.Get(ctx, "k"); err != nil || string(got) != "v" {
		t.Fatalf("Get = %q, %v", got, err)
	}
}

func TestOpenEverySchemeIsRegistered(t *testing.T) {
	for _, u := range []string{"azblob://container@core.windows.net/path", "nfs://127.0.0.1:/export?port=1&mountport=1", "cifs://127.0.0.1/share/path?port=1"} {
		_, err := all.Open(context.Background(), u, nil)
		if err != nil && strings.Contains(err.Error(), "not available in this build") {
			t.Errorf("Open(%s): %v: the driver is not registered", u, err)
		}
	}
}

// TestWrapOrder checks the documented decorator order by unwrapping.
func TestWrapOrder(t *testing.T) {
	tg, err := all.Open(context.Background(), "file://"+t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	w := all.Wrap(tg, prometheus.NewRegistry())
	r, ok := w.(*retry.Target)
	if !ok {
		t.Fatalf("outermost layer is %T, want *retry.Target", w)
	}
	l, ok := r.Unwrap().(*limit.Target)
	if !ok {
		t.Fatalf("second layer is %T, want *limit.Target", r.Unwrap())
	}
	if l.Limit() != tg.Properties().Connections {
		t.Fatalf("limit = %d, want the driver's %d connections", l.Limit(), tg.Properties().Connections)
	}
	m, ok := l.Unwrap().(*metrics.Target)
	if !ok || m.Unwrap() != tg {
		t.Fatalf("third layer is %T wrapping %T, want *metrics.Target wrapping the driver", l.Unwrap(), m.Unwrap())
	}
	if all.Wrap(tg, nil).(*retry.Target).Unwrap().(*limit.Target).Unwrap() != tg {
		t.Fatal("with a nil registry the metrics layer must be left out")
	}
}
