package rancher

import (
	"fmt"
	"net"
	"strings"
)

// hostPolicy decides which Host headers the server answers. DNS rebinding
// points a name the attacker controls at the server's address, so the
// browser sends that name as the Host; refusing unknown names defeats it.
// Accepted are:
//   - any IP address literal (a rebinding attack needs a name, and probes,
//     load balancers and users of a server listening on 0.0.0.0 or :: reach
//     it by IP);
//   - localhost;
//   - the listen address's host when it is a name;
//   - the names in --allowed-hosts ("*" accepts every name);
//   - an empty Host (HTTP/1.0 clients; browsers always send one).
//
// Ports are not compared: whoever can make a browser connect to the
// server's port has already named it. Names compare case-insensitively,
// without a trailing dot.
type hostPolicy struct {
	any   bool
	names map[string]bool
}

// newHostPolicy builds the policy; an entry of allowed that is empty or
// holds characters no host name has is an error naming --allowed-hosts.
func newHostPolicy(listenHost string, allowed []string) (hostPolicy, error) {
	p := hostPolicy{names: map[string]bool{"localhost": true}}
	if listenHost != "" {
		p.names[canonicalHost(listenHost)] = true
	}
	for _, raw := range allowed {
		h := strings.TrimSpace(raw)
		if h == "*" {
			p.any = true
			continue
		}
		if hp, _, err := net.SplitHostPort(h); err == nil && !strings.Contains(h, "/") {
			h = hp
		}
		if h == "" || strings.ContainsAny(h, "/\\?#@*, \t\r\n") {
			return hostPolicy{}, fmt.Errorf("invalid --allowed-hosts entry %q: use a host name such as plinth.example (a port is ignored), or * to accept any", raw)
		}
		p.names[canonicalHost(h)] = true
	}
	return p, nil
}

// allows reports whether the Host header value hostport is accepted.
func (p hostPolicy) allows(hostport string) bool {
	if hostport == "" || p.any {
		return true
	}
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if net.ParseIP(host) != nil {
		return true
	}
	return p.names[canonicalHost(host)]
}

func canonicalHost(h string) string {
	return strings.TrimSuffix(strings.ToLower(h), ".")
}
