package server

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"runtime/debug"
	"strings"

	"github.com/plinth-storage/plinth/internal/controller/node"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

// startMembership registers this node under an etcd lease (its lease key
// carries the advertise URL and version), keeps the lease alive until ctx
// ends, and has every known node's state looked at. The returned wait
// blocks until the lease has been revoked after ctx ended; call it before
// the etcd client closes.
func (d *daemon) startMembership(ctx context.Context) (wait func(), err error) {
	hb := &node.Heartbeat{
		Client: d.backend.Client, NodeID: d.opts.NodeID, Address: d.opts.AdvertiseURL,
		Version: versionOrBuild(d.opts.Version), TTL: d.opts.LeaseTTL, Log: d.log,
		OnRegistered: func() { d.nodeRun.Enqueue(d.opts.NodeID) },
	}
	if err := hb.Register(ctx); err != nil {
		return nil, err
	}
	done := make(chan struct{})
	go func() { defer close(done); hb.Run(ctx) }()
	nodes, _, err := store.NewKind[model.Node](d.backend.Client, model.KindNodes).List(ctx)
	if err != nil {
		return func() { <-done }, err
	}
	for _, n := range nodes {
		d.nodeRun.Enqueue(n.Name)
	}
	return func() { <-done }, nil
}

// versionOrBuild is v, or when empty the module version Go recorded at
// build time ("dev" when there is none).
func versionOrBuild(v string) string {
	if v != "" {
		return v
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// advertiseURL is the URL other nodes use for this node's API: given (from
// --advertise-url, already checked) or http://<bound listen address>. A
// wildcard listen address (0.0.0.0, ::) is replaced by the host name,
// since no other node can reach a wildcard; set --advertise-url when the
// host name does not resolve for the other nodes.
func advertiseURL(given string, bound net.Addr) string {
	if given != "" {
		return given
	}
	host, port, err := net.SplitHostPort(bound.String())
	if err != nil {
		return "http://" + bound.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if h, err := os.Hostname(); err == nil && h != "" {
			host = h
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}

// checkAdvertiseURL validates --advertise-url and returns it without a
// trailing slash: an absolute http or https URL with a host, and nothing
// after it but an optional "/".
func checkAdvertiseURL(v string) (string, error) {
	if v == "" {
		return "", nil
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("invalid --advertise-url %q: use the URL other nodes reach this node's API at, e.g. http://10.0.0.5:9500", v)
	}
	return strings.TrimSuffix(v, "/"), nil
}
