package rancher

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// GuardOptions configure Guard. The zero value accepts only the server's
// own names (localhost, IP addresses) and its own origin.
type GuardOptions struct {
	// ListenHost is the host part of the listen address. A name is accepted
	// as a Host; IP addresses are accepted anyway.
	ListenHost string
	// AllowedOrigins are extra browser origins (scheme://host[:port]) whose
	// state-changing requests and websocket upgrades are accepted
	// (--allowed-origins).
	AllowedOrigins []string
	// AllowedHosts are extra names the Host header may carry
	// (--allowed-hosts); "*" turns the Host check off.
	AllowedHosts []string
}

// Guard returns the middleware that keeps browsers on other sites away from
// the API: cross-site request forgery, cross-site websocket hijacking and
// DNS rebinding. It refuses, with an error envelope that names the flag to
// use, in this order:
//
//  1. 421 Misdirected Request: a Host header that is not the server's (see
//     hostPolicy; /healthz included: probes use an IP address or localhost);
//  2. 403 Forbidden: a state-changing request (any method but GET, HEAD and
//     OPTIONS) or a websocket upgrade that a browser sent from another
//     origin: Sec-Fetch-Site cross-site or same-site, or, from browsers that
//     do not send it, an Origin whose host is not the Host. Requests without
//     Origin (CLIs, scripts, Longhorn's client) and origins listed in
//     AllowedOrigins pass;
//  3. 415 Unsupported Media Type: a state-changing request with a body whose
//     Content-Type is neither application/json nor absent (Longhorn's
//     client sends none), or, for ?action=upload, neither
//     multipart/form-data nor application/octet-stream nor absent. The
//     types a cross-site HTML form can send (text/plain,
//     application/x-www-form-urlencoded, multipart/form-data outside
//     uploads) are refused even from browsers that send no Origin.
//
// It returns an error naming the entry when an allowed origin or host is
// malformed.
func Guard(o GuardOptions) (Middleware, error) {
	hosts, err := newHostPolicy(o.ListenHost, o.AllowedHosts)
	if err != nil {
		return nil, err
	}
	cop := http.NewCrossOriginProtection()
	for _, raw := range o.AllowedOrigins {
		origin, err := normalizeOrigin(raw)
		if err != nil {
			return nil, err
		}
		if err := cop.AddTrustedOrigin(origin); err != nil {
			return nil, fmt.Errorf("invalid --allowed-origins entry %q: %w", raw, err)
		}
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !hosts.allows(r.Host) {
				WriteError(w, r, http.StatusMisdirectedRequest, fmt.Sprintf(
					"this server does not answer to host %q (DNS rebinding protection): "+
						"it accepts its listen address, localhost and IP addresses; "+
						"start it with --allowed-hosts naming this host to accept it", r.Host))
				return
			}
			if err := checkOrigin(cop, r); err != nil {
				WriteError(w, r, http.StatusForbidden, crossOriginMessage(r, err))
				return
			}
			if msg := checkContentType(r); msg != "" {
				WriteError(w, r, http.StatusUnsupportedMediaType, msg)
				return
			}
			if r.Header.Get("Origin") != "" {
				r = r.WithContext(context.WithValue(r.Context(), originCheckedKey{}, true))
			}
			next.ServeHTTP(w, r)
		})
	}, nil
}

type originCheckedKey struct{}

// OriginChecked reports whether Guard has accepted the Origin of r, so a
// websocket upgrade from an origin in --allowed-origins may skip the
// websocket library's own same-host check. False when r did not pass
// through Guard or carried no Origin.
func OriginChecked(r *http.Request) bool {
	ok, _ := r.Context().Value(originCheckedKey{}).(bool)
	return ok
}

// checkOrigin applies net/http's cross-origin protection to state-changing
// requests and, since browsers let any page open a websocket to any
// server, to websocket upgrades as well.
func checkOrigin(cop *http.CrossOriginProtection, r *http.Request) error {
	if isWebsocketUpgrade(r) {
		probe := r.Clone(r.Context())
		probe.Method = http.MethodPost // checked like a state-changing request
		return cop.Check(probe)
	}
	return cop.Check(r)
}

// isWebsocketUpgrade reports whether r asks to open a websocket.
func isWebsocketUpgrade(r *http.Request) bool {
	for _, v := range r.Header.Values("Upgrade") {
		for _, tok := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(tok), "websocket") {
				return true
			}
		}
	}
	return false
}

// normalizeOrigin turns an --allowed-origins entry into the form browsers
// send: lower-case scheme and host, no trailing slash, no default port.
func normalizeOrigin(raw string) (string, error) {
	u, err := url.Parse(strings.TrimSuffix(strings.TrimSpace(raw), "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		u.User != nil || u.Path != "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("invalid --allowed-origins entry %q: use scheme://host[:port], e.g. https://ui.example:8443", raw)
	}
	scheme, host := strings.ToLower(u.Scheme), strings.ToLower(u.Host)
	if port := u.Port(); (scheme == "http" && port == "80") || (scheme == "https" && port == "443") {
		host = strings.TrimSuffix(host, ":"+port)
	}
	return scheme + "://" + host, nil
}

// crossOriginMessage explains a refusal by checkOrigin and names the flag
// that lets a trusted UI on another origin in.
func crossOriginMessage(r *http.Request, err error) string {
	msg := fmt.Sprintf("cross-origin request refused (%v): a page on another site may not change anything here", err)
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		return msg + fmt.Sprintf("; if %s is your own UI, start the server with --allowed-origins %s", o, o)
	}
	return msg + "; to let your own UI on another origin in, start the server with --allowed-origins scheme://host[:port]"
}
