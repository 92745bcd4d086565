package s3_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/s3"
	"github.com/plinth-storage/plinth/internal/target/targettest"
	"github.com/plinth-storage/plinth/internal/testenv"
)

// open opens rawURL with secret, failing the test on error.
func open(t *testing.T, rawURL string, secret map[string]string) target.Target {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	tg, err := s3.Open(context.Background(), u, secret)
	if err != nil {
		t.Fatalf("Open(%s): %v", rawURL, err)
	}
	return tg
}

func TestConformance(t *testing.T) {
	srv := testenv.VersityGW(t)
	targettest.Run(t, func(t *testing.T) target.Target {
		return open(t, "s3://"+srv.NewBucket(t)+"@us-east-1/", srv.Secret())
	})
}

func TestConformanceWithPrefix(t *testing.T) {
	srv := testenv.VersityGW(t)
	targettest.Run(t, func(t *testing.T) target.Target {
		return open(t, "s3://"+srv.NewBucket(t)+"@us-east-1/backups/site-a/", srv.Secret())
	})
}

// TestPrefixIsolation checks a prefixed target stores below its prefix and
// sees nothing outside it.
func TestPrefixIsolation(t *testing.T) {
	srv := testenv.VersityGW(t)
	bucket := srv.NewBucket(t)
	root := open(t, "s3://"+bucket+"@us-east-1/", srv.Secret())
	sub := open(t, "s3://"+bucket+"@us-east-1/pre/fix", srv.Secret())
	ctx := context.Background()
	if err := root.Put(ctx, "outside", []byte("o")); err != nil {
		t.Fatal(err)
	}
	if err := sub.Put(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	if got, err := root.Get(ctx, "pre/fix/k"); err != nil || string(got) != "v" {
		t.Fatalf("root Get(pre/fix/k) = %q, %v", got, err)
	}
	var keys []string
	if err := sub.Walk(ctx, "", func(e target.Entry) error { keys = append(keys, e.Key); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0] != "k" {
		t.Fatalf("prefixed Walk = %v, want [k]", keys)
	}
}

func TestCheckFailures(t *testing.T) {
	srv := testenv.VersityGW(t)
	bucket := srv.NewBucket(t)
	ctx := context.Background()

	bad := srv.Secret()
	bad["AWS_SECRET_ACCESS_KEY"] = "wrong-secret-value-123"
	err := open(t, "s3://"+bucket+"@us-east-1/", bad).Check(ctx)
	if !target.IsPermanent(err) || !strings.Contains(err.Error(), "AWS_SECRET_ACCESS_KEY") {
		t.Fatalf("Check with a wrong secret = %v, want a permanent error telling to check the credentials", err)
	}
	if strings.Contains(err.Error(), "wrong-secret-value-123") || strings.Contains(err.Error(), srv.SecretKey) {
		t.Fatalf("error message leaks the secret key: %v", err)
	}
	_, err = open(t, "s3://"+bucket+"@us-east-1/", bad).Get(ctx, "k")
	if !target.IsPermanent(err) {
		t.Fatalf("Get with a wrong secret = %v, want permanent", err)
	}

	err = open(t, "s3://no-such-bucket-here@us-east-1/", srv.Secret()).Check(ctx)
	if !target.IsPermanent(err) || !strings.Contains(err.Error(), "no-such-bucket-here") {
		t.Fatalf("Check of a missing bucket = %v, want a permanent error naming the bucket", err)
	}

	anon := map[string]string{"AWS_ENDPOINTS": srv.Endpoint}
	if err := open(t, "s3://"+bucket+"@us-east-1/", anon).Check(ctx); !target.IsPermanent(err) {
		t.Fatalf("anonymous Check of a private bucket = %v, want permanent", err)
	}

	down := map[string]string{"AWS_ENDPOINTS": "http://127.0.0.1:1", "AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"}
	if err := open(t, "s3://"+bucket+"@us-east-1/", down).Check(ctx); !target.IsTransient(err) {
		t.Fatalf("Check of an endpoint that refuses connections = %v, want transient", err)
	}
}

// TestIgnoresProcessEnvironment checks credentials and endpoints in the
// process environment are never used: a secret without keys is anonymous.
func TestIgnoresProcessEnvironment(t *testing.T) {
	srv := testenv.VersityGW(t)
	bucket := srv.NewBucket(t)
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	t.Setenv("AWS_ENDPOINT_URL_S3", srv.Endpoint)
	err := open(t, "s3://"+bucket+"@us-east-1/", map[string]string{"AWS_ENDPOINTS": srv.Endpoint}).Check(context.Background())
	if !target.IsPermanent(err) {
		t.Fatalf("Check without keys in the secret = %v; want access denied (environment credentials must be ignored)", err)
	}
}
