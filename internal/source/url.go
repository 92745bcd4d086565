package source

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
)

var (
	// ErrInvalidURL means the URL cannot be downloaded as written (bad
	// syntax, a scheme other than http or https, no host).
	ErrInvalidURL = errors.New("invalid download URL")
	// ErrForbiddenAddress means the URL's host is, or resolved to, an address
	// downloads may not reach (see addrPolicy).
	ErrForbiddenAddress = errors.New("download address not allowed")
)

// ValidateURL checks a download URL before anything is created for it: the
// scheme is http or https, a host is present, and a host that is a literal
// IP address (or "localhost") is one downloads may reach. Host names are
// checked again, after resolution, when Download connects, so DNS cannot be
// used to bypass this.
func ValidateURL(rawURL string, allowPrivate bool) error {
	u, err := parseURL(rawURL)
	if err != nil {
		return err
	}
	host := strings.ToLower(u.Hostname())
	if !allowPrivate && (host == "localhost" || strings.HasSuffix(host, ".localhost")) {
		return fmt.Errorf("URL %s: host %q is this machine: %w (use an address other machines can reach, or allow private download sources)",
			Redact(u), host, ErrForbiddenAddress)
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return nil // a name: checked at connect time
	}
	policy := newPolicy(allowPrivate)
	if err := policy.check(addr); err != nil {
		return fmt.Errorf("URL %s: %w", Redact(u), err)
	}
	return nil
}

func parseURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrInvalidURL, stripURLError(err))
	}
	switch strings.ToLower(u.Scheme) {
	case "http", "https":
	default:
		return nil, fmt.Errorf("%w: scheme %q is not http or https", ErrInvalidURL, u.Scheme)
	}
	if u.Hostname() == "" {
		return nil, fmt.Errorf("%w: %s has no host", ErrInvalidURL, Redact(u))
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("%w: %s has an invalid port %q", ErrInvalidURL, Redact(u), p)
		}
	}
	return u, nil
}

// stripURLError drops the URL from a *url.Error so a password in it never
// reaches a message.
func stripURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// Redact renders u for messages and logs: no user info, and no query
// (presigned URLs carry their signature there).
func Redact(u *url.URL) string {
	c := *u
	c.User = nil
	c.Fragment = ""
	c.RawFragment = ""
	hidden := c.RawQuery != "" || c.ForceQuery
	c.RawQuery = ""
	c.ForceQuery = false
	if hidden {
		return c.String() + "?<query hidden>"
	}
	return c.String()
}

// addrPolicy decides which IP addresses a download may connect to. Always
// refused: unspecified (0.0.0.0/8, ::), broadcast, multicast and link-local
// addresses (which include cloud metadata services at 169.254.169.254).
// Refused unless allowPrivate (--insecure-allow-private-sources): loopback,
// private ranges (RFC 1918, RFC 4193 unique-local, 100.64.0.0/10 shared
// address space) and this host's own interface addresses, so a download
// cannot be aimed at services inside the network the daemon runs in.
type addrPolicy struct {
	allowPrivate bool
	local        map[netip.Addr]bool
}

func newPolicy(allowPrivate bool) addrPolicy {
	p := addrPolicy{allowPrivate: allowPrivate, local: map[netip.Addr]bool{}}
	if allowPrivate {
		return p
	}
	addrs, _ := net.InterfaceAddrs() // on error: loopback is still refused by range
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(ipn.IP); ok {
				p.local[ip.Unmap()] = true
			}
		}
	}
	return p
}

var (
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
	sharedSpace = netip.MustParsePrefix("100.64.0.0/10")
)

func (p addrPolicy) check(a netip.Addr) error {
	a = a.Unmap().WithZone("")
	var why string
	switch {
	case a.IsUnspecified() || (a.Is4() && thisNetwork.Contains(a)):
		why = "unspecified"
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		why = "broadcast"
	case a.IsMulticast():
		why = "multicast"
	case a.IsLinkLocalUnicast():
		why = "link-local (this includes cloud metadata services)"
	case a.IsLoopback() && !p.allowPrivate:
		why = "loopback (start plinth with --insecure-allow-private-sources to allow it)"
	case (a.IsPrivate() || sharedSpace.Contains(a)) && !p.allowPrivate:
		why = "a private address (start plinth with --insecure-allow-private-sources to allow private sources)"
	case p.local[a] && !p.allowPrivate:
		why = "one of this host's own addresses (start plinth with --insecure-allow-private-sources to allow it)"
	default:
		return nil
	}
	return fmt.Errorf("%w: %s is %s", ErrForbiddenAddress, a, why)
}
