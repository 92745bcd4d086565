package rancher

import (
	"net"
	"net/http"
	"net/url"
	"strings"
)

// APIVersion is the only API version plinth serves; every link is under it.
const APIVersion = "v1"

// URLs builds the absolute URLs of one request's reply. Links must be
// absolute because Rancher-style clients follow them verbatim, and they must
// echo the address the client (or the proxy in front of the server) used.
type URLs struct {
	base    string // scheme://host[:port][proxy prefix], no trailing slash
	request string // the request URL without its query
}

// URLsFor returns the URL builder for r, following go-rancher's rules:
//  1. the X-API-request-url header, if it holds an absolute http(s) URL
//     (its query is dropped; a path prefix a proxy added is kept in Base);
//  2. else, if X-Forwarded-Proto is http or https:
//     proto://(X-Forwarded-Host or Host)[:X-Forwarded-Port]/path, where the
//     forwarded port replaces any port in the host and 80/443 are left out;
//  3. else http://Host/path, or https:// when the connection is TLS.
func URLsFor(r *http.Request) URLs {
	path := r.URL.EscapedPath()
	if u, ok := fromRequestURLHeader(r.Header.Get("X-API-request-url"), path); ok {
		return u
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	host := r.Host
	if proto := strings.ToLower(firstValue(r.Header.Get("X-Forwarded-Proto"))); proto == "http" || proto == "https" {
		scheme = proto
		if fh := firstValue(r.Header.Get("X-Forwarded-Host")); validHost(fh) {
			host = fh
		}
		if port := firstValue(r.Header.Get("X-Forwarded-Port")); validPort(port) {
			host = withPort(host, port)
		}
	}
	if !validHost(host) {
		host = "localhost"
	}
	base := scheme + "://" + host
	return URLs{base: base, request: base + path}
}

// fromRequestURLHeader builds URLs from an X-API-request-url value.
func fromRequestURLHeader(h, path string) (URLs, bool) {
	if h == "" {
		return URLs{}, false
	}
	u, err := url.Parse(h)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || !validHost(u.Host) {
		return URLs{}, false
	}
	u.RawQuery, u.ForceQuery, u.Fragment, u.User = "", false, "", nil
	req := strings.TrimSuffix(u.String(), "?")
	base := u.Scheme + "://" + u.Host
	if strings.HasSuffix(req, path) {
		base = strings.TrimSuffix(req, path)
	}
	return URLs{base: strings.TrimSuffix(base, "/"), request: req}, true
}

// firstValue returns the first element of a comma-separated header value.
func firstValue(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return strings.TrimSpace(first)
}

// validHost rejects empty hosts and anything that could change the shape
// of a URL built around it.
func validHost(h string) bool {
	return h != "" && !strings.ContainsAny(h, "/\\?#@ \t\r\n")
}

// validPort accepts 1-5 decimal digits.
func validPort(p string) bool {
	if p == "" || len(p) > 5 {
		return false
	}
	for _, c := range p {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// withPort replaces host's port with port, leaving 80 and 443 out.
func withPort(host, port string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port == "80" || port == "443" {
		return host
	}
	return host + ":" + port
}

// Base is scheme://host[:port] (plus any proxy prefix), without a slash.
func (u URLs) Base() string { return u.base }

// Request is the absolute URL of the request, without its query.
func (u URLs) Request() string { return u.request }

// Version is the URL of the API version root: <base>/v1.
func (u URLs) Version() string { return u.base + "/" + APIVersion }

// Schemas is the URL of the schema collection: <base>/v1/schemas.
func (u URLs) Schemas() string { return u.Version() + "/schemas" }

// Collection is <base>/v1/<lower-cased plural>.
func (u URLs) Collection(plural string) string {
	return u.Version() + "/" + strings.ToLower(plural)
}

// Resource is <base>/v1/<lower-cased plural>/<id>, the id path-escaped
// (a no-op for valid Longhorn names).
func (u URLs) Resource(plural, id string) string {
	return u.Collection(plural) + "/" + url.PathEscape(id)
}

// Action is the resource URL plus ?action=<name>.
func (u URLs) Action(plural, id, action string) string {
	return u.Resource(plural, id) + "?action=" + url.QueryEscape(action)
}

// Abs makes a server-relative link ("/v1/...") absolute; other values are
// returned unchanged.
func (u URLs) Abs(link string) string {
	if strings.HasPrefix(link, "/") && !strings.HasPrefix(link, "//") {
		return u.base + link
	}
	return link
}
