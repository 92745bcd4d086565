package store

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Backend is a connection to etcd: either an embedded single-member server
// under a data directory, or an external cluster. Close stops both the
// client and, when embedded, the server.
type Backend struct {
	Client *clientv3.Client
	server *embed.Etcd
}

// StartEmbedded starts a single-member etcd whose data lives in dir and
// whose client and peer ports are free loopback ports chosen at start (they
// are not part of the stored state, so a restart may pick others). etcd's
// warnings and errors, and the reason when it stops the process (a full
// disk), go to log; nil discards them.
func StartEmbedded(ctx context.Context, dir string, log *slog.Logger) (*Backend, error) {
	cfg := embed.NewConfig()
	cfg.Name = "plinth"
	cfg.Dir = filepath.Join(dir, "etcd")
	cfg.Logger = "zap"
	cfg.LogLevel = "warn"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(etcdLogger(log))
	// A 1 s bolt commit batch costs nothing in safety (every write is in
	// the fsynced WAL before it is acknowledged) and saves an idle daemon
	// etcd's frequent empty commits.
	cfg.BackendBatchInterval = time.Second
	clientURL, err := freeLoopbackURL()
	if err != nil {
		return nil, err
	}
	peerURL, err := freeLoopbackURL()
	if err != nil {
		return nil, err
	}
	cfg.ListenClientUrls = []url.URL{*clientURL}
	cfg.AdvertiseClientUrls = []url.URL{*clientURL}
	cfg.ListenPeerUrls = []url.URL{*peerURL}
	cfg.AdvertisePeerUrls = []url.URL{*peerURL}
	cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	// A restarted member reuses its WAL; the cluster token only matters for
	// a fresh data dir.
	cfg.ClusterState = embed.ClusterStateFlagNew
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("start embedded etcd in %s: %w", cfg.Dir, err)
	}
	select {
	case <-e.Server.ReadyNotify():
	case <-ctx.Done():
		e.Close()
		return nil, fmt.Errorf("start embedded etcd: %w", ctx.Err())
	case <-time.After(60 * time.Second):
		e.Close()
		return nil, fmt.Errorf("embedded etcd in %s did not become ready within 60s", cfg.Dir)
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{clientURL.String()},
		DialTimeout: 10 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("connect to embedded etcd: %w", err)
	}
	return &Backend{Client: cli, server: e}, nil
}

// Connect uses an external etcd cluster.
func Connect(ctx context.Context, endpoints []string) (*Backend, error) {
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   endpoints,
		DialTimeout: 10 * time.Second,
		Logger:      zap.NewNop(),
		Context:     ctx,
	})
	if err != nil {
		return nil, fmt.Errorf("connect to etcd %v: %w", endpoints, err)
	}
	sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := cli.Status(sctx, endpoints[0]); err != nil {
		cli.Close()
		return nil, fmt.Errorf("etcd at %s does not answer: %w (check --etcd-endpoints)", endpoints[0], err)
	}
	return &Backend{Client: cli}, nil
}

// Close closes the client and stops the embedded server, if any.
func (b *Backend) Close() error {
	err := b.Client.Close()
	if b.server != nil {
		b.server.Close()
	}
	return err
}

func freeLoopbackURL() (*url.URL, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("find a free loopback port for etcd: %w", err)
	}
	addr := l.Addr().String()
	l.Close()
	return &url.URL{Scheme: "http", Host: addr}, nil
}
