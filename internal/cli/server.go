package cli

import (
	"os"
	"strings"

	"github.com/spf13/pflag"

	"github.com/plinth-storage/plinth/internal/cluster"
	"github.com/plinth-storage/plinth/internal/server"
)

// Server flag names (also PLINTH_<NAME> environment variables).
const (
	flagDataDir       = "data-dir"
	flagListen        = "listen"
	flagNodeID        = "node-id"
	flagEtcdEndpoints = "etcd-endpoints"
	flagInsecure      = "insecure-allow-private-sources"
	flagLogLevel      = "log-level"
	flagDefaultTarget = "default-backup-target"
	flagAllowOrigins  = "allowed-origins"
	flagAllowHosts    = "allowed-hosts"
	flagSecretsKey    = "secrets-key-file"
	flagPprof         = "pprof"
	flagAdvertiseURL  = "advertise-url"
	// Embedded etcd cluster (docs/cluster-embedded.md).
	flagClusterTokenFile = "cluster-token-file"
	flagPeerListen       = "etcd-peer-listen"
	flagClientListen     = "etcd-client-listen"
	flagJoin             = "join"
	flagMaxMembers       = "etcd-max-members"
)

// TokenEnv is the only way to give the API token: never a flag, so it does
// not show in process listings.
const TokenEnv = "PLINTH_TOKEN"

// ServerFlags are the flags of `plinth server`, bound to a flag set.
type ServerFlags struct {
	fs                  *pflag.FlagSet
	dataDir, listen     string
	nodeID, etcd        string
	logLevel, defTarget string
	insecure            bool
	origins, hosts      string
	secretsKey          string
	pprof               bool
	advertiseURL        string
	cluster             clusterFlags
}

type clusterFlags struct {
	tokenFile, peer, client, join string
	maxMembers                    int
}

// AddServerFlags defines the server's flags on fs.
func AddServerFlags(fs *pflag.FlagSet) *ServerFlags {
	host, _ := os.Hostname()
	sf := &ServerFlags{fs: fs}
	fs.StringVar(&sf.dataDir, flagDataDir, "./plinth-data", "where etcd, the default disk and the default backup store live")
	fs.StringVar(&sf.listen, flagListen, "127.0.0.1:9500", "API address; a non-loopback address requires "+TokenEnv)
	fs.StringVar(&sf.nodeID, flagNodeID, host, "this node's name")
	fs.StringVar(&sf.etcd, flagEtcdEndpoints, "", "comma-separated external etcd endpoints (empty: run an embedded etcd under --data-dir)")
	fs.BoolVar(&sf.insecure, flagInsecure, false, "let download sources point at loopback and private addresses (labs and tests only)")
	fs.StringVar(&sf.logLevel, flagLogLevel, "info", "debug, info, warn or error")
	fs.StringVar(&sf.defTarget, flagDefaultTarget, "", "URL of the `default` backup target at first start (default file://<data-dir>/backupstore)")
	fs.StringVar(&sf.origins, flagAllowOrigins, "", "comma-separated extra browser origins (https://ui.example:8443) allowed to change state; the server's own origin and clients that send no Origin are always allowed")
	fs.StringVar(&sf.hosts, flagAllowHosts, "", "comma-separated extra host names the Host header may carry (the listen address, localhost and loopback addresses are always allowed)")
	fs.StringVar(&sf.secretsKey, flagSecretsKey, "", "file with the keys that encrypt secret values in etcd (default <data-dir>/secrets.key, created 0600 when absent)")
	fs.BoolVar(&sf.pprof, flagPprof, false, "serve Go's profiles under /debug/pprof/ (behind the API token, like every route) for performance work")
	fs.StringVar(&sf.advertiseURL, flagAdvertiseURL, "", "URL other nodes use for this node's API (default http://<listen address>; set it when listening on 0.0.0.0 or behind NAT)")
	fs.StringVar(&sf.cluster.tokenFile, flagClusterTokenFile, "", "file (mode 0600) holding the cluster token that joins are authenticated with (or set PLINTH_CLUSTER_TOKEN)")
	fs.StringVar(&sf.cluster.peer, flagPeerListen, "", "HOST:PORT of this node's embedded etcd peer listener, reachable by the other nodes (forms an embedded etcd cluster)")
	fs.StringVar(&sf.cluster.client, flagClientListen, "", "HOST:PORT of this node's etcd client listener, reachable by the other nodes (default: the peer host and the peer port minus one)")
	fs.StringVar(&sf.cluster.join, flagJoin, "", "API URL of a running node to join the cluster through, e.g. http://10.0.0.5:9500 (only on first start; a restart uses the etcd data in --data-dir)")
	fs.IntVar(&sf.cluster.maxMembers, flagMaxMembers, 3, "most voting etcd members this node admits when others join; later joiners become etcd clients")
	return sf
}

// Options applies PLINTH_<NAME> environment variables to flags not given on
// the command line, reads the token from PLINTH_TOKEN and returns the
// daemon's options. server.Run checks the values and fills what is left
// empty (the default target URL), so the rules live in one place.
func (sf *ServerFlags) Options(lookup func(string) (string, bool)) (server.Options, error) {
	err := ApplyEnv(sf.fs, lookup, flagDataDir, flagListen, flagNodeID, flagEtcdEndpoints, flagInsecure,
		flagLogLevel, flagDefaultTarget, flagAllowOrigins, flagAllowHosts, flagSecretsKey, flagPprof, flagAdvertiseURL,
		flagClusterTokenFile, flagPeerListen, flagClientListen, flagJoin, flagMaxMembers)
	if err != nil {
		return server.Options{}, err
	}
	o := server.Options{DataDir: sf.dataDir, Listen: sf.listen, NodeID: sf.nodeID,
		InsecureAllowPrivateSources: sf.insecure, LogLevel: sf.logLevel,
		DefaultBackupTarget: sf.defTarget, SecretsKeyFile: sf.secretsKey, Pprof: sf.pprof,
		EtcdEndpoints: splitList(sf.etcd), AllowedOrigins: splitList(sf.origins), AllowedHosts: splitList(sf.hosts)}
	o.AdvertiseURL = sf.advertiseURL
	o.Token, _ = lookup(TokenEnv)
	c := sf.cluster
	o.Cluster = server.ClusterOptions{PeerListen: c.peer, ClientListen: c.client, Join: c.join, MaxMembers: c.maxMembers}
	if o.Cluster.Token, err = cluster.ReadToken(c.tokenFile, lookup); err != nil {
		return server.Options{}, err
	}
	return o, nil
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(v string) []string {
	var out []string
	for _, item := range strings.Split(v, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
