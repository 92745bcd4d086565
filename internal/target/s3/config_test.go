package s3

import (
	"context"
	"encoding/pem"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/plinth-storage/plinth/internal/target"
)

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestParseURL(t *testing.T) {
	good := map[string][3]string{
		"s3://bkt@us-west-2/":             {"bkt", "us-west-2", ""},
		"s3://bkt@us-west-2":              {"bkt", "us-west-2", ""},
		"s3://bkt@eu-1/backup/site-a/":    {"bkt", "eu-1", "backup/site-a"},
		"s3://bkt.with.dots@r/one_two-3/": {"bkt.with.dots", "r", "one_two-3"},
	}
	for raw, want := range good {
		b, r, p, err := ParseURL(mustURL(t, raw))
		if err != nil || [3]string{b, r, p} != want {
			t.Errorf("ParseURL(%s) = %q %q %q, %v; want %q", raw, b, r, p, err, want)
		}
	}
	for _, raw := range []string{"s3://bkt/path", "s3://@r/", "s3://bkt:pw@r/", "s3://bkt@r/a/../b", "s3://bkt@r/a//b", "file:///x"} {
		if _, _, _, err := ParseURL(mustURL(t, raw)); err == nil {
			t.Errorf("ParseURL(%s) succeeded, want an error", raw)
		}
	}
}

func TestConfigFromSecret(t *testing.T) {
	u := mustURL(t, "s3://b@r/p")
	cases := []struct {
		secret   map[string]string
		wantPath bool
	}{
		{map[string]string{}, false},
		{map[string]string{KeyEndpoints: "http://127.0.0.1:9000"}, true},
		{map[string]string{KeyEndpoints: "http://127.0.0.1:9000", KeyVirtualHosted: "true"}, false},
		{map[string]string{KeyVirtualHosted: "false"}, true},
	}
	for _, c := range cases {
		cfg, err := ConfigFromSecret(u, c.secret)
		if err != nil || cfg.PathStyle != c.wantPath {
			t.Errorf("ConfigFromSecret(%v): path style %v, %v; want %v", c.secret, cfg.PathStyle, err, c.wantPath)
		}
	}
	bad := []map[string]string{
		{KeyVirtualHosted: "yes"},
		{KeyAccessKeyID: "only-the-id"},
		{KeyEndpoints: "minio:9000"},
		{KeyAccessKeyID: "id", KeySecretAccessKey: "topsecret\n"},
	}
	for _, s := range bad {
		_, err := ConfigFromSecret(u, s)
		if err == nil {
			t.Errorf("ConfigFromSecret(%v) succeeded, want an error", s)
		} else if strings.Contains(err.Error(), "topsecret") {
			t.Errorf("error leaks a secret value: %v", err)
		}
	}
	cfg, _ := ConfigFromSecret(u, map[string]string{KeyAccessKeyID: "id", KeySecretAccessKey: "topsecret"})
	if s := cfg.String(); strings.Contains(s, "topsecret") {
		t.Errorf("Config.String leaks the secret: %s", s)
	}
}

// TestCustomCA checks AWS_CERT is trusted for TLS endpoints, and that
// without it the same endpoint fails certificate verification.
func TestCustomCA(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.Header().Set("Content-Type", "application/xml")
			_, _ = w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>b</Name><KeyCount>0</KeyCount><IsTruncated>false</IsTruncated></ListBucketResult>`))
		}
	}))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // the untrusted handshake is expected
	srv.StartTLS()
	defer srv.Close()
	caPEM := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	secret := map[string]string{KeyEndpoints: srv.URL, KeyAccessKeyID: "id", KeySecretAccessKey: "sk"}
	u := mustURL(t, "s3://b@us-east-1/")

	tg, err := Open(context.Background(), u, secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.Check(context.Background()); err == nil {
		t.Fatal("Check against an untrusted certificate succeeded")
	}
	secret[KeyCert] = caPEM
	tg, err = Open(context.Background(), u, secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.Check(context.Background()); err != nil {
		t.Fatalf("Check with AWS_CERT trusting the server: %v", err)
	}
	secret[KeyCert] = "not a pem"
	if _, err := Open(context.Background(), u, secret); err == nil {
		t.Fatal("Open with an AWS_CERT that holds no certificate succeeded")
	}
}

// TestProxyFromSecret checks the proxy settings come from the secret (and
// NO_PROXY exempts hosts), not from the process environment.
func TestProxyFromSecret(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:1")
	cfg := Config{HTTPProxy: "http://proxy.test:3128", NoProxy: "direct.test"}
	hc, err := newHTTPClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	proxy := hc.Transport.(*http.Transport).Proxy
	for host, want := range map[string]string{"s3.test": "proxy.test:3128", "direct.test": ""} {
		req, _ := http.NewRequest(http.MethodGet, "http://"+host+"/b/k", nil)
		got, err := proxy(req)
		if err != nil {
			t.Fatal(err)
		}
		if (got == nil && want != "") || (got != nil && got.Host != want) {
			t.Errorf("proxy for %s = %v, want %q", host, got, want)
		}
	}
	hc, _ = newHTTPClient(Config{})
	req, _ := http.NewRequest(http.MethodGet, "http://s3.test/", nil)
	if got, _ := hc.Transport.(*http.Transport).Proxy(req); got != nil {
		t.Errorf("with no proxy in the secret, the process HTTP_PROXY was used: %v", got)
	}
}

// apiError builds an SDK-shaped error with an S3 code and HTTP status.
func apiError(code string, status int) error {
	return &awshttp.ResponseError{ResponseError: &smithyhttp.ResponseError{
		Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status}},
		Err:      &smithy.GenericAPIError{Code: code, Message: "server says " + code},
	}}
}

func TestErrorMapping(t *testing.T) {
	tg := &Target{cfg: Config{Bucket: "bkt", Region: "r"}}
	cases := []struct {
		op   string
		err  error
		want target.Kind
		hint string
	}{
		{target.OpGet, apiError("NoSuchKey", 404), target.KindNotFound, ""},
		{target.OpStat, apiError("NotFound", 404), target.KindNotFound, ""},
		{target.OpCheck, apiError("NotFound", 404), target.KindPermanent, "bkt"},
		{target.OpPut, apiError("NoSuchBucket", 404), target.KindPermanent, "bucket"},
		{target.OpGet, apiError("InvalidAccessKeyId", 403), target.KindPermanent, "AWS_ACCESS_KEY_ID"},
		{target.OpGet, apiError("SignatureDoesNotMatch", 403), target.KindPermanent, "AWS_SECRET_ACCESS_KEY"},
		{target.OpGet, apiError("Forbidden", 403), target.KindPermanent, "credential secret"},
		{target.OpGet, apiError("PermanentRedirect", 301), target.KindPermanent, "region"},
		{target.OpPut, apiError("SlowDown", 503), target.KindTransient, ""},
		{target.OpPut, apiError("InternalError", 500), target.KindTransient, ""},
		{target.OpPut, errors.New("connection reset by peer"), target.KindTransient, ""},
		{target.OpGet, context.Canceled, target.KindPermanent, ""},
	}
	for _, c := range cases {
		err := tg.classify(c.op, "k", c.err)
		if target.KindOf(err) != c.want || !strings.Contains(err.Error(), c.hint) {
			t.Errorf("classify(%s, %v) = %v (%v), want kind %v mentioning %q", c.op, c.err, err, target.KindOf(err), c.want, c.hint)
		}
		if !errors.Is(err, c.err) {
			t.Errorf("classify(%v) lost the cause", c.err)
		}
	}
}
