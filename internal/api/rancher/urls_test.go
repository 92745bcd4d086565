package rancher

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestURLsFor(t *testing.T) {
	for _, tc := range []struct {
		name     string
		host     string
		tls      bool
		hdr      map[string]string
		wantBase string
		wantReq  string
	}{
		{"plain host", "10.42.0.5:9500", false, nil, "http://10.42.0.5:9500", "http://10.42.0.5:9500/v1/backingimages"},
		{"tls", "h:9500", true, nil, "https://h:9500", "https://h:9500/v1/backingimages"},
		{"forwarded proto only", "h:9500", false, map[string]string{"X-Forwarded-Proto": "https"},
			"https://h:9500", "https://h:9500/v1/backingimages"},
		{"forwarded host and port", "h:9500", false,
			map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Host": "p.example:1", "X-Forwarded-Port": "8443"},
			"https://p.example:8443", "https://p.example:8443/v1/backingimages"},
		{"port 443 left out", "h:9500", false,
			map[string]string{"X-Forwarded-Proto": "https", "X-Forwarded-Port": "443"},
			"https://h", "https://h/v1/backingimages"},
		{"ipv6 with port", "[::1]:9500", false,
			map[string]string{"X-Forwarded-Proto": "http", "X-Forwarded-Port": "9600"},
			"http://[::1]:9600", "http://[::1]:9600/v1/backingimages"},
		{"bad proto ignored", "h:9500", false,
			map[string]string{"X-Forwarded-Proto": "javascript", "X-Forwarded-Host": "evil"},
			"http://h:9500", "http://h:9500/v1/backingimages"},
		{"list values", "h", false,
			map[string]string{"X-Forwarded-Proto": "https, http", "X-Forwarded-Host": "a.example, b.example"},
			"https://a.example", "https://a.example/v1/backingimages"},
		{"request url header", "h", false,
			map[string]string{"X-API-request-url": "https://lb.example/v1/backingimages?q=1"},
			"https://lb.example", "https://lb.example/v1/backingimages"},
		{"request url with prefix", "h", false,
			map[string]string{"X-API-request-url": "https://lb.example/plinth/v1/backingimages"},
			"https://lb.example/plinth", "https://lb.example/plinth/v1/backingimages"},
		{"bad request url ignored", "h", false,
			map[string]string{"X-API-request-url": "ftp://x/y"},
			"http://h", "http://h/v1/backingimages"},
	} {
		req := httptest.NewRequest(http.MethodGet, "/v1/backingimages?x=1", nil)
		req.Host = tc.host
		if tc.tls {
			req.TLS = &tls.ConnectionState{}
		}
		for k, v := range tc.hdr {
			req.Header.Set(k, v)
		}
		u := URLsFor(req)
		if u.Base() != tc.wantBase || u.Request() != tc.wantReq {
			t.Errorf("%s: base %q request %q, want %q %q", tc.name, u.Base(), u.Request(), tc.wantBase, tc.wantReq)
		}
	}
}

func TestURLForms(t *testing.T) {
	req := httptest.NewRequest(http.MethodGet, "/v1", nil)
	req.Host = "h:1"
	u := URLsFor(req)
	for got, want := range map[string]string{
		u.Collection("backupBackingImages"):         "http://h:1/v1/backupbackingimages",
		u.Resource("backingImages", "bi-a"):         "http://h:1/v1/backingimages/bi-a",
		u.Action("backingImages", "bi-a", "upload"): "http://h:1/v1/backingimages/bi-a?action=upload",
		u.Abs("/v1/x"):               "http://h:1/v1/x",
		u.Abs("https://elsewhere/x"): "https://elsewhere/x",
		u.Schemas():                  "http://h:1/v1/schemas",
	} {
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}
