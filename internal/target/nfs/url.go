package nfs

import (
	"fmt"
	"log/slog"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"
)

// defaultCallTimeout bounds one RPC when the caller's ctx has no earlier
// deadline: a server that stops answering breaks the connection after it.
const defaultCallTimeout = 60 * time.Second

// config is what New reads from the target URL.
type config struct {
	host      string
	nfsPort   int    // 0: ask the portmapper
	mountPort int    // 0: ask the portmapper
	path      string // absolute path on the server: export plus sub-directory
	timeout   time.Duration
}

// parseURL reads nfs://host:/export/path (Longhorn's form) or
// nfs://host[:port]/export/path, with optional query parameters port,
// mountport and nfsOptions (Longhorn's comma-separated mount options, also
// repeatable). Unknown query parameters are errors.
func parseURL(u *url.URL, log *slog.Logger) (config, error) {
	var cfg config
	if u.Scheme != "nfs" {
		return cfg, fmt.Errorf("nfs target URL %q: scheme must be nfs", u.Redacted())
	}
	cfg.host = u.Hostname()
	if cfg.host == "" {
		return cfg, fmt.Errorf("nfs target URL %q: missing server host (want nfs://host:/export/path)", u.Redacted())
	}
	cfg.path = path.Clean("/" + u.Path)
	if u.Path == "" || cfg.path == "/" {
		return cfg, fmt.Errorf("nfs target URL %q: missing export path (want nfs://host:/export/path)", u.Redacted())
	}
	cfg.timeout = defaultCallTimeout
	var err error
	if p := u.Port(); p != "" {
		if cfg.nfsPort, err = parsePort("port in host", p); err != nil {
			return cfg, err
		}
	}
	for key, vals := range u.Query() {
		for _, v := range vals {
			switch key {
			case "nfsOptions":
				err = applyOptions(&cfg, v, log)
			case "port":
				cfg.nfsPort, err = parsePort(key, v)
			case "mountport":
				cfg.mountPort, err = parsePort(key, v)
			default:
				err = fmt.Errorf("unknown query parameter %q (known: nfsOptions, port, mountport)", key)
			}
			if err != nil {
				return cfg, fmt.Errorf("nfs target URL %q: %w", u.Redacted(), err)
			}
		}
	}
	return cfg, nil
}

// applyOptions reads kernel-style mount options. port, mountport, timeo
// and nfsvers=3 mean something to a user-space client; the rest (soft,
// actimeo, retry, ...) tune a kernel mount and are ignored with a note.
func applyOptions(cfg *config, opts string, log *slog.Logger) error {
	var ignored []string
	for opt := range strings.SplitSeq(opts, ",") {
		opt = strings.TrimSpace(opt)
		if opt == "" {
			continue
		}
		name, val, _ := strings.Cut(opt, "=")
		var err error
		switch name {
		case "port":
			cfg.nfsPort, err = parsePort("nfsOptions port", val)
		case "mountport":
			cfg.mountPort, err = parsePort("nfsOptions mountport", val)
		case "timeo":
			var ds int
			if ds, err = strconv.Atoi(val); err == nil && ds > 0 {
				cfg.timeout = time.Duration(ds) * 100 * time.Millisecond
			}
		case "nfsvers", "vers":
			if val != "3" {
				ignored = append(ignored, opt+" (plinth speaks NFSv3, which every NFSv4 server also serves)")
			}
		default:
			ignored = append(ignored, opt)
		}
		if err != nil {
			return fmt.Errorf("nfsOptions %q: %w", opt, err)
		}
	}
	if len(ignored) > 0 {
		log.Info("nfs target: ignoring mount options that only apply to a kernel mount", "options", ignored)
	}
	return nil
}

func parsePort(what, v string) (int, error) {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 || n > 65535 {
		return 0, fmt.Errorf("%s %q is not a TCP port", what, v)
	}
	return n, nil
}
