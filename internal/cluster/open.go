package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"

	"github.com/plinth-storage/plinth/internal/store"
)

// Config is how a daemon reaches its etcd: external endpoints, a private
// single-member etcd, or a member (or client) of an embedded cluster.
type Config struct {
	// DataDir is the daemon's data dir (etcd lives in DataDir/etcd).
	DataDir string
	// NodeID is the node's name, also its etcd member name.
	NodeID string
	// EtcdEndpoints, when set, is an external etcd; the other cluster
	// fields must then be empty.
	EtcdEndpoints []string
	// Token is the cluster token (a secret; never logged).
	Token string
	// PeerListen is HOST:PORT of the etcd peer listener; empty (and no
	// Join) keeps the private single-member etcd on random loopback ports.
	PeerListen string
	// ClientListen is HOST:PORT of the etcd client listener other nodes
	// use; default the PeerListen host and the peer port minus one (2380
	// gives 2379, as etcd's own defaults).
	ClientListen string
	// Join is the API base URL of a running node to join through.
	Join string
	// APIToken is sent as the bearer token of the join request when the
	// joined node's API requires one (PLINTH_TOKEN).
	APIToken string
	// Log receives etcd's warnings and the steps of a join.
	Log *slog.Logger
}

// Embedded reports whether the daemon runs an embedded etcd member.
func (c Config) Embedded() bool { return len(c.EtcdEndpoints) == 0 }

// Open returns the daemon's etcd backend as c says. A daemon whose data dir
// has an etcd WAL restarts its member from it and never joins again. A
// fresh daemon with Join asks that node to add it and then starts its
// member as part of the existing cluster, or connects as a client when the
// cluster has its maximum of members. Errors say which flag to change.
func Open(ctx context.Context, c Config) (*store.Backend, error) {
	if !c.Embedded() {
		if c.Join != "" || c.PeerListen != "" {
			return nil, fmt.Errorf("--join and --etcd-peer-listen form an embedded etcd cluster: drop them, or drop --etcd-endpoints")
		}
		return store.Connect(ctx, c.EtcdEndpoints)
	}
	if c.PeerListen == "" && c.Join == "" {
		return store.StartEmbedded(ctx, c.DataDir, c.Log)
	}
	if c.Token == "" {
		return nil, fmt.Errorf("--join and --etcd-peer-listen need the cluster token: give --cluster-token-file (mode 0600) or %s", TokenEnv)
	}
	if c.PeerListen == "" {
		return nil, fmt.Errorf("--join needs --etcd-peer-listen HOST:PORT, the address other nodes reach this node's etcd at")
	}
	mc, err := memberConfig(c)
	if err != nil {
		return nil, err
	}
	if store.HasWAL(c.DataDir) || c.Join == "" {
		b, err := store.StartMember(ctx, mc)
		if err != nil {
			return nil, err
		}
		if err := updateOwnPeerURL(ctx, b, mc); err != nil {
			b.Close()
			return nil, err
		}
		return b, nil
	}
	resp, err := requestJoin(ctx, c, mc.PeerURL.String())
	if err != nil {
		return nil, err
	}
	if resp.Role == RoleClient {
		c.Log.Info("the cluster has its maximum of etcd members: this node is an etcd client", "endpoints", resp.ClientURLs)
		return store.ConnectSyncing(ctx, resp.ClientURLs)
	}
	// No WAL: whatever a failed earlier attempt left is of no use.
	if err := os.RemoveAll(store.EtcdDir(c.DataDir)); err != nil {
		return nil, fmt.Errorf("clear %s before joining: %w", store.EtcdDir(c.DataDir), err)
	}
	mc.InitialCluster, mc.Existing = resp.InitialCluster, true
	c.Log.Info("joining the etcd cluster as a member", "initialCluster", resp.InitialCluster)
	return store.StartMember(ctx, mc)
}

func memberConfig(c Config) (store.MemberConfig, error) {
	peer, err := listenURL("--etcd-peer-listen", c.PeerListen)
	if err != nil {
		return store.MemberConfig{}, err
	}
	clientListen := c.ClientListen
	if clientListen == "" {
		port, _ := strconv.Atoi(peer.Port())
		clientListen = net.JoinHostPort(peer.Hostname(), strconv.Itoa(port-1))
	}
	client, err := listenURL("--etcd-client-listen", clientListen)
	if err != nil {
		return store.MemberConfig{}, err
	}
	return store.MemberConfig{DataDir: c.DataDir, Name: c.NodeID, PeerURL: *peer, ClientURL: *client, Log: c.Log}, nil
}

// listenURL turns HOST:PORT into http://HOST:PORT. The host must be an
// address other nodes can reach, since it is also advertised.
func listenURL(flag, hostport string) (*url.URL, error) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return nil, fmt.Errorf("invalid %s %q: use HOST:PORT, e.g. 10.0.0.5:2380", flag, hostport)
	}
	if n, err := strconv.Atoi(port); err != nil || n <= 0 || n > 65535 {
		return nil, fmt.Errorf("invalid %s %q: the port must be 1-65535", flag, hostport)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		return nil, fmt.Errorf("invalid %s %q: it is also the address other nodes use, so give this node's own address, not %q", flag, hostport, host)
	}
	return &url.URL{Scheme: "http", Host: net.JoinHostPort(host, port)}, nil
}

// updateOwnPeerURL records the member's configured peer URL in the
// cluster when it differs (a data dir first used by a private etcd on a
// random loopback port, or a changed --etcd-peer-listen).
func updateOwnPeerURL(ctx context.Context, b *store.Backend, mc store.MemberConfig) error {
	list, err := b.Client.MemberList(ctx)
	if err != nil {
		return fmt.Errorf("list the etcd members: %w", err)
	}
	want := mc.PeerURL.String()
	for _, m := range list.Members {
		if m.Name != mc.Name || (len(m.PeerURLs) == 1 && m.PeerURLs[0] == want) {
			continue
		}
		if _, err := b.Client.MemberUpdate(ctx, m.ID, []string{want}); err != nil {
			return fmt.Errorf("record this member's peer URL %s in etcd: %w", want, err)
		}
		mc.Log.Info("updated this etcd member's peer URL", "peerURL", want)
	}
	return nil
}
