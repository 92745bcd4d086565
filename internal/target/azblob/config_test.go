package azblob

import (
	"net/url"
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	secret := map[string]string{SecretAccountName: "acct", SecretAccountKey: "a2V5"}
	cases := []struct {
		in, endpoint, container, prefix, service string
	}{
		{"azblob://c@core.windows.net/", "", "c", "", "https://acct.blob.core.windows.net/"},
		{"azblob://c@core.chinacloudapi.cn/lh/bs/", "", "c", "lh/bs/", "https://acct.blob.core.chinacloudapi.cn/"},
		{"azblob://c/lh", "", "c", "lh/", "https://acct.blob.core.windows.net/"},
		{"azblob://c@core.windows.net/x", "http://127.0.0.1:10000", "c", "x/", "http://127.0.0.1:10000/acct/"},
		{"azblob://c@core.windows.net/x", "http://127.0.0.1:10000/acct/", "c", "x/", "http://127.0.0.1:10000/acct/"},
	}
	for _, c := range cases {
		u, _ := url.Parse(c.in)
		s := map[string]string{SecretAccountName: "acct", SecretAccountKey: "a2V5", SecretEndpoint: c.endpoint}
		cfg, err := parseConfig(u, s)
		if err != nil {
			t.Fatalf("parseConfig(%s): %v", c.in, err)
		}
		if cfg.container != c.container || cfg.prefix != c.prefix || cfg.serviceURL != c.service {
			t.Fatalf("parseConfig(%s, %q) = %+v", c.in, c.endpoint, cfg)
		}
	}
	for _, in := range []string{"s3://c/x", "azblob:///x", "azblob://c@/x", "azblob://c/x?a=b"} {
		u, _ := url.Parse(in)
		if _, err := parseConfig(u, secret); err == nil {
			t.Fatalf("parseConfig(%s) accepted it", in)
		}
	}
	u, _ := url.Parse("azblob://c/x")
	if _, err := parseConfig(u, map[string]string{SecretAccountName: "acct"}); err == nil || !strings.Contains(err.Error(), SecretAccountKey) {
		t.Fatalf("missing key: %v", err)
	}
	cfg := config{certPEM: "not a pem"}
	if _, err := cfg.httpClient(); err == nil {
		t.Fatal("a non-PEM AZBLOB_CERT was accepted")
	}
}
