package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	clientv3 "go.etcd.io/etcd/client/v3"
	"go.etcd.io/etcd/server/v3/embed"
	"go.uber.org/zap"
)

// MemberConfig describes one embedded etcd member.
type MemberConfig struct {
	// DataDir is the daemon's data directory; etcd lives in DataDir/etcd.
	DataDir string
	// Name is the member's name in the cluster (plinth's node ID).
	Name string
	// PeerURL is where the member listens for, and is reached by, its
	// peers; ClientURL the same for clients.
	PeerURL, ClientURL url.URL
	// InitialCluster is etcd's --initial-cluster (name=peerURL,...); empty
	// means a new one-member cluster of this member alone.
	InitialCluster string
	// Existing joins the cluster InitialCluster describes (the member was
	// added with MemberAdd first) instead of starting a new one.
	Existing bool
	// Log receives etcd's warnings and errors; nil discards them.
	Log *slog.Logger
}

// ErrRemovedMember is returned by StartMember when the member stops while
// starting, which is what happens when its peers say
// it was removed from the cluster: its data directory cannot be used again.
var ErrRemovedMember = errors.New("the etcd member stopped; its cluster may have removed it")

// EtcdDir is where the embedded etcd of a daemon with data dir dir lives.
func EtcdDir(dir string) string { return filepath.Join(dir, "etcd") }

// HasWAL reports whether the embedded etcd under data dir dir has a
// write-ahead log, that is, was a member before and restarts from it.
func HasWAL(dir string) bool {
	entries, err := os.ReadDir(filepath.Join(EtcdDir(dir), "member", "wal"))
	return err == nil && len(entries) > 0
}

// StartMember starts an embedded etcd member as c says and connects a
// client to it. A member whose data directory has a WAL restarts from it
// (InitialCluster and Existing then do not matter). It returns once the
// member serves, ErrRemovedMember (wrapped) if its cluster removed it, or
// an error if it is not ready within 60 s or ctx ends.
func StartMember(ctx context.Context, c MemberConfig) (*Backend, error) {
	cfg := embed.NewConfig()
	cfg.Name = c.Name
	cfg.Dir = EtcdDir(c.DataDir)
	cfg.Logger = "zap"
	cfg.LogLevel = "warn"
	cfg.ZapLoggerBuilder = embed.NewZapLoggerBuilder(etcdLogger(c.Log))
	// A 1 s bolt commit batch costs nothing in safety (every write is in
	// the fsynced WAL before it is acknowledged) and saves an idle daemon
	// etcd's frequent empty commits.
	cfg.BackendBatchInterval = time.Second
	cfg.ListenClientUrls = []url.URL{c.ClientURL}
	cfg.AdvertiseClientUrls = []url.URL{c.ClientURL}
	cfg.ListenPeerUrls = []url.URL{c.PeerURL}
	cfg.AdvertisePeerUrls = []url.URL{c.PeerURL}
	cfg.InitialCluster = c.InitialCluster
	if cfg.InitialCluster == "" {
		cfg.InitialCluster = cfg.InitialClusterFromName(cfg.Name)
	}
	cfg.InitialClusterToken = "plinth"
	cfg.ClusterState = embed.ClusterStateFlagNew
	if c.Existing {
		cfg.ClusterState = embed.ClusterStateFlagExisting
	}
	e, err := embed.StartEtcd(cfg)
	if err != nil {
		return nil, fmt.Errorf("start embedded etcd in %s: %w", cfg.Dir, err)
	}
	if err := waitReady(ctx, e); err != nil {
		e.Close()
		return nil, err
	}
	cli, err := clientv3.New(clientv3.Config{
		Endpoints:   []string{c.ClientURL.String()},
		DialTimeout: 10 * time.Second,
		Logger:      zap.NewNop(),
	})
	if err != nil {
		e.Close()
		return nil, fmt.Errorf("connect to embedded etcd: %w", err)
	}
	return &Backend{Client: cli, server: e}, nil
}

func waitReady(ctx context.Context, e *embed.Etcd) error {
	dir := e.Config().Dir
	// etcd stops a member its peers report as removed before it is ready;
	// its serving goroutines may report that stop (Err) before StopNotify.
	stopped := func(cause error) error {
		return fmt.Errorf("embedded etcd in %s stopped while starting (%v): if this node was removed from the cluster "+
			"(plinth cluster remove-member) it must join again: %w; move %s aside and start with --join",
			dir, cause, ErrRemovedMember, dir)
	}
	select {
	case <-e.Server.ReadyNotify():
		return nil
	case <-e.Server.StopNotify():
		return stopped(errors.New("server stopped"))
	case err := <-e.Err():
		select {
		case <-e.Server.StopNotify():
			return stopped(err)
		case <-time.After(5 * time.Second):
			return fmt.Errorf("embedded etcd in %s failed while starting: %w", dir, err)
		}
	case <-ctx.Done():
		return fmt.Errorf("start embedded etcd: %w", ctx.Err())
	case <-time.After(60 * time.Second):
		return fmt.Errorf("embedded etcd in %s did not become ready within 60s "+
			"(a joining or restarted member needs a quorum of its cluster's members running)", dir)
	}
}
