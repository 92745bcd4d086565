package store

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// Backend is a connection to etcd: either an embedded member under a data
// directory, or an external cluster. Close stops both the client and, when
// embedded, the server.
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
	clientURL, err := freeLoopbackURL()
	if err != nil {
		return nil, err
	}
	peerURL, err := freeLoopbackURL()
	if err != nil {
		return nil, err
	}
	return StartMember(ctx, MemberConfig{DataDir: dir, Name: "plinth", PeerURL: *peerURL, ClientURL: *clientURL, Log: log})
}

// Connect uses an external etcd cluster.
func Connect(ctx context.Context, endpoints []string) (*Backend, error) {
	return connect(ctx, endpoints, 0)
}

// ConnectSyncing uses an etcd cluster like Connect and also refreshes its
// endpoints from the cluster's member list every 30 s, so that a client of
// a cluster whose members change keeps finding them.
func ConnectSyncing(ctx context.Context, endpoints []string) (*Backend, error) {
	return connect(ctx, endpoints, 30*time.Second)
}

func connect(ctx context.Context, endpoints []string, autoSync time.Duration) (*Backend, error) {
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:        endpoints,
		DialTimeout:      10 * time.Second,
		Logger:           zap.NewNop(),
		Context:          ctx,
		AutoSyncInterval: autoSync,
	})
	if err != nil {
		return nil, fmt.Errorf("connect to etcd %v: %w", endpoints, err)
	}
	var lastErr error
	for _, ep := range endpoints {
		sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		_, lastErr = cli.Status(sctx, ep)
		cancel()
		if lastErr == nil {
			return &Backend{Client: cli}, nil
		}
	}
	cli.Close()
	return nil, fmt.Errorf("etcd at %v does not answer: %w (check --etcd-endpoints)", endpoints, lastErr)
}

// Close closes the client and stops the embedded server, if any.
func (b *Backend) Close() error {
	err := b.Client.Close()
	if b.server != nil {
		b.server.Close()
	}
	return err
}

// Stopped is closed when the embedded etcd server stops on its own (it was
// removed from its cluster, or its disk failed); nil for an external etcd.
func (b *Backend) Stopped() <-chan struct{} {
	if b.server == nil {
		return nil
	}
	return b.server.Server.StopNotify()
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
