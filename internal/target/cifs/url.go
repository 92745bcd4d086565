package cifs

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// config is what New reads from the target URL and secret.
type config struct {
	host   string
	addr   string   // host:port
	share  string   // share name
	base   []string // path elements below the share: the target root
	user   string
	pass   string
	domain string
}

// Secret keys, as Longhorn names them.
const (
	SecretUsername = "CIFS_USERNAME"
	SecretPassword = "CIFS_PASSWORD"
	SecretDomain   = "CIFS_DOMAIN"
)

// parseConfig reads cifs://host[:port]/share/path with optional query
// parameters port and cifsOptions (Longhorn's mount options, which only
// tune a kernel mount and are ignored with a note), and the credentials
// from secret.
func parseConfig(u *url.URL, secret map[string]string, log *slog.Logger) (config, error) {
	var cfg config
	if u.Scheme != "cifs" {
		return cfg, fmt.Errorf("cifs target URL %q: scheme must be cifs", u.Redacted())
	}
	cfg.host = u.Hostname()
	elems := strings.Split(strings.Trim(path.Clean("/"+u.Path), "/"), "/")
	if cfg.host == "" || elems[0] == "" {
		return cfg, fmt.Errorf("cifs target URL %q: want cifs://host/share[/path]", u.Redacted())
	}
	cfg.share, cfg.base = elems[0], elems[1:]
	port := 445
	var err error
	if p := u.Port(); p != "" {
		port, err = parsePort(p)
	}
	for key, vals := range u.Query() {
		for _, v := range vals {
			switch key {
			case "port":
				port, err = parsePort(v)
			case "cifsOptions":
				log.Info("cifs target: ignoring mount options that only apply to a kernel mount", "options", v)
			default:
				err = fmt.Errorf("unknown query parameter %q (known: port, cifsOptions)", key)
			}
			if err != nil {
				return cfg, fmt.Errorf("cifs target URL %q: %w", u.Redacted(), err)
			}
		}
	}
	if err != nil {
		return cfg, fmt.Errorf("cifs target URL %q: %w", u.Redacted(), err)
	}
	cfg.addr = net.JoinHostPort(cfg.host, strconv.Itoa(port))
	cfg.user, cfg.pass, cfg.domain = secret[SecretUsername], secret[SecretPassword], secret[SecretDomain]
	if cfg.user == "" {
		return cfg, fmt.Errorf("cifs target: the secret has no %s (SMB servers need a user; set %s and %s)", SecretUsername, SecretUsername, SecretPassword)
	}
	return cfg, nil
}

func parsePort(v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 || n > 65535 {
		return 0, fmt.Errorf("port %q is not a TCP port", v)
	}
	return n, nil
}

// remote returns the share-relative path (backslash-separated) of key
// below the target root; "" is the root of the share.
func (c config) remote(key string) string {
	el := append([]string(nil), c.base...)
	if key != "" {
		el = append(el, strings.Split(key, "/")...)
	}
	return strings.Join(el, `\`)
}
