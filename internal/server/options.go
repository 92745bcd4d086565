// Package server assembles the plinth daemon: etcd, store, controllers, API.
package server

import "time"

// Options are the daemon's settings, one per `plinth server` flag. Every
// flag also reads PLINTH_<NAME> from the environment (e.g. PLINTH_DATA_DIR).
type Options struct {
	// DataDir holds the embedded etcd, the default disk and the default
	// backup store. Default "./plinth-data".
	DataDir string
	// Listen is the API address. Default "127.0.0.1:9500". Listening on a
	// non-loopback address requires Token.
	Listen string
	// NodeID names this node. Default: the hostname.
	NodeID string
	// EtcdEndpoints, when non-empty, points at an external etcd cluster
	// instead of the embedded one.
	EtcdEndpoints []string
	// InsecureAllowPrivateSources lets download sources point at loopback
	// and private addresses (tests and labs).
	InsecureAllowPrivateSources bool
	// LogLevel is debug, info, warn or error. Default "info".
	LogLevel string
	// DefaultBackupTarget is the URL the `default` target gets at first
	// start. Default "file://<data-dir>/backupstore".
	DefaultBackupTarget string
	// Token, when set, is required as "Authorization: Bearer <token>" on
	// every API request. Read from PLINTH_TOKEN or a file, never a flag
	// value shown in process listings.
	Token string
	// AllowedOrigins are extra browser origins (scheme://host[:port]) whose
	// state-changing requests are accepted, besides the server's own origin
	// and requests that carry no Origin at all (CLIs, scripts).
	AllowedOrigins []string
	// AllowedHosts are extra names the Host header may carry, besides the
	// listen address, localhost and loopback addresses; anything else is
	// refused so DNS rebinding cannot reach the API.
	AllowedHosts []string
	// SecretsKeyFile holds the keys that encrypt secret values in etcd.
	// Default "<data-dir>/secrets.key", created 0600 when absent.
	SecretsKeyFile string
	// AdvertiseURL is the URL other nodes use for this node's API, recorded
	// on the node. Default: http://<listen address> (a wildcard address is
	// replaced by the host name).
	AdvertiseURL string
	// Version is the plinth version this node registers with (default: the
	// module version of the build, or "dev").
	Version string
	// LeaseTTL is the node lease's time to live (default 12 s): a node that
	// dies without a clean stop shows down within about this long.
	LeaseTTL time.Duration
	// Pprof serves Go's runtime profiles under /debug/pprof/, behind the
	// same token and request guard as the API.
	Pprof bool
	// Cluster forms an embedded etcd cluster (docs/cluster-embedded.md).
	Cluster ClusterOptions
}

// ClusterOptions are the flags that form an embedded etcd cluster.
type ClusterOptions struct {
	// Token is the cluster token (--cluster-token-file or
	// PLINTH_CLUSTER_TOKEN; never a flag value, never logged).
	Token string
	// PeerListen (--etcd-peer-listen) and ClientListen
	// (--etcd-client-listen) are HOST:PORT of this node's etcd listeners,
	// also advertised to the other nodes.
	PeerListen, ClientListen string
	// Join (--join) is the API URL of a running node to join through.
	Join string
	// MaxMembers (--etcd-max-members) caps the voting etcd members this
	// node admits; later joiners become clients. Default 3.
	MaxMembers int
}
