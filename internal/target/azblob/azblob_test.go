package azblob

import (
	"net/url"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/drivertest"
	"github.com/plinth-storage/plinth/internal/target/targettest"
	"github.com/plinth-storage/plinth/internal/testenv"
)

// TestAzblob runs everything that needs a server against one Azurite. The
// outage test stops and restarts it, so it runs last.
func TestAzblob(t *testing.T) {
	srv := testenv.Azurite(t)
	t.Run("Conformance", func(t *testing.T) {
		targettest.Run(t, func(t *testing.T) target.Target {
			return open(t, srv.URL(srv.NewContainer(t), "backups/lh"), srv.Secret())
		})
	})
	t.Run("ContainerRoot", func(t *testing.T) { testContainerRoot(t, srv) })
	t.Run("DeleteIsExact", func(t *testing.T) { testDeleteIsExact(t, srv) })
	t.Run("WrongKey", func(t *testing.T) { testWrongKey(t, srv) })
	t.Run("MissingContainer", func(t *testing.T) { testMissingContainer(t, srv) })
	t.Run("ServerRestart", func(t *testing.T) { testServerRestart(t, srv) })
}

func open(t *testing.T, u *url.URL, secret map[string]string) *Driver {
	t.Helper()
	return drivertest.Open(t, New, u, secret)
}

// testContainerRoot checks a URL without a path (the container root) and
// that a prefixed target only sees its own blobs.
func testContainerRoot(t *testing.T, srv *testenv.AzuriteServer) {
	c := srv.NewContainer(t)
	whole := open(t, srv.URL(c, ""), srv.Secret())
	sub := open(t, srv.URL(c, "p"), srv.Secret())
	ctx := drivertest.Ctx(t)
	if err := sub.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if err := whole.Put(ctx, "pk", []byte("sibling")); err != nil {
		t.Fatal(err)
	}
	var keys []string
	if err := whole.Walk(ctx, "", func(e target.Entry) error { keys = append(keys, e.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(keys, ",") != "p/k,pk" {
		t.Fatalf("Walk of the container root = %v, want [p/k pk]", keys)
	}
	keys = nil
	if err := sub.Walk(ctx, "", func(e target.Entry) error { keys = append(keys, e.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if strings.Join(keys, ",") != "k" {
		t.Fatalf("Walk of prefix p = %v, want [k]", keys)
	}
}

// testDeleteIsExact is Longhorn's weak point §11.8: deleting ".../vol"
// must not touch ".../vol2" or ".../vol/x".
func testDeleteIsExact(t *testing.T, srv *testenv.AzuriteServer) {
	d := open(t, srv.URL(srv.NewContainer(t), "bs"), srv.Secret())
	ctx := drivertest.Ctx(t)
	for _, k := range []string{"v/vol", "v/vol2", "v/volx/y"} {
		if err := d.Put(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Delete(ctx, "v/vol"); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, "v/volx"); err != nil { // only a prefix
		t.Fatal(err)
	}
	for _, k := range []string{"v/vol2", "v/volx/y"} {
		if _, err := d.Get(ctx, k); err != nil {
			t.Fatalf("sibling %s after deletes: %v", k, err)
		}
	}
}

func testWrongKey(t *testing.T, srv *testenv.AzuriteServer) {
	secret := srv.Secret()
	secret[SecretAccountKey] = "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXktd3Jvbmcta2V5LXdyb25nLWtleQ=="
	d := open(t, srv.URL(srv.NewContainer(t), ""), secret)
	err := d.Check(drivertest.Ctx(t))
	if !target.IsPermanent(err) || !strings.Contains(err.Error(), "credentials refused") {
		t.Fatalf("Check with a wrong key = %v (kind %v), want permanent 'credentials refused'", err, target.KindOf(err))
	}
	for _, k := range []string{secret[SecretAccountKey], srv.Key} {
		if strings.Contains(err.Error(), k) {
			t.Fatalf("the error message contains an account key: %v", err)
		}
	}
	secret[SecretAccountKey] = "not base64!"
	if _, err := New(t.Context(), srv.URL("c", ""), secret); !target.IsPermanent(err) || strings.Contains(err.Error(), "not base64!") {
		t.Fatalf("New with a malformed key = %v, want permanent without the key", err)
	}
}

func testMissingContainer(t *testing.T, srv *testenv.AzuriteServer) {
	d := open(t, srv.URL("no-such-container", ""), srv.Secret())
	ctx := drivertest.Ctx(t)
	checks := map[string]error{
		"Check": d.Check(ctx),
		"Put":   d.Put(ctx, "k", []byte("v")),
		"List":  d.List(ctx, "", func(target.Entry) error { return nil }),
	}
	_, checks["Get"] = d.Get(ctx, "k")
	for name, err := range checks {
		if !target.IsPermanent(err) || !strings.Contains(err.Error(), "no-such-container") {
			t.Fatalf("%s on a missing container = %v (kind %v), want permanent naming the container", name, err, target.KindOf(err))
		}
	}
}

func testServerRestart(t *testing.T, srv *testenv.AzuriteServer) {
	d := open(t, srv.URL(srv.NewContainer(t), ""), srv.Secret())
	ctx := drivertest.Ctx(t)
	if err := d.Put(ctx, "k", []byte("before")); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	if err := d.Check(ctx); !target.IsTransient(err) {
		t.Fatalf("Check with the server down = %v (kind %v), want transient", err, target.KindOf(err))
	}
	if _, err := d.Get(ctx, "k"); !target.IsTransient(err) {
		t.Fatalf("Get with the server down = %v (kind %v), want transient", err, target.KindOf(err))
	}
	srv.Start()
	if got, err := d.Get(ctx, "k"); err != nil || string(got) != "before" {
		t.Fatalf("Get after restart = %q, %v", got, err)
	}
}
