// Package api serves plinth's /v1 REST API (Longhorn-compatible routes,
// envelopes and schemas), the event streams, /healthz and /metrics. It
// validates requests, writes desired state to the store and leaves the work
// to the controllers; it never touches disks or targets itself, except to
// stream an upload into, or a download out of, a copy.
package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"sync"

	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/plinth-storage/plinth/internal/api/rancher"
	"github.com/plinth-storage/plinth/internal/cluster"
	"github.com/plinth-storage/plinth/internal/controller/backingimage"
	"github.com/plinth-storage/plinth/internal/controller/node"
	"github.com/plinth-storage/plinth/internal/controller/runner"
	"github.com/plinth-storage/plinth/internal/errkind"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/settings"
	"github.com/plinth-storage/plinth/internal/store"
)

// Deps is everything the API needs. All fields are required.
type Deps struct {
	Etcd         *clientv3.Client
	BIs          *store.Kind[model.BackingImage]
	Nodes        *store.Kind[model.Node]
	Settings     *settings.Store
	Targets      *store.Kind[model.BackupTarget]
	Secrets      *store.Kind[model.Secret]
	RekeySecrets func(context.Context) (rewritten int, err error) // seals every secret under a new key
	Backups      *BackupDeps
	BIController *backingimage.Controller
	// NodeRun runs the node controller; the API has this node's disks
	// reconciled through it after a diskUpdate.
	NodeRun *runner.Runner
	Disks   *node.Registry
	NodeID  string
	// DataDir is the daemon's data directory: no file backup target may
	// be in it, except its default backup store <DataDir>/backupstore.
	DataDir      string
	AllowPrivate bool
	Log          *slog.Logger
	Registry     *prometheus.Registry
	Token        string
	// Guard screens every request before authentication (rancher.Guard:
	// Host, Origin, Content-Type); nil checks none of them.
	Guard rancher.Middleware
	// Hub delivers store changes to the event streams.
	Hub *Hub
	// Verify verifies every copy of a backing image on this node now and
	// repairs what it can (scrub.Scrubber.VerifyImage); an error matching
	// store.ErrNotFound means no such image. nil: the verify action is 503.
	Verify func(ctx context.Context, name string) error
	// Extra registers further routes (e.g. the web UI) on the same mux.
	Extra func(mux *http.ServeMux)
	// Cluster serves joins and etcd membership; nil answers them 503.
	Cluster *cluster.Service
}

// Server is the API's HTTP handler.
type Server struct {
	d       Deps
	schemas *rancher.Schemas
	handler http.Handler
	// rekeying is held exclusively by a rekey and shared by secret
	// creation, so no secret is sealed under a key the rekey is dropping.
	rekeying sync.RWMutex
}

// New builds the API handler.
func New(d Deps) (*Server, error) {
	s := &Server{d: d, schemas: buildSchemas()}
	mux := http.NewServeMux()
	s.schemas.Register(mux)
	s.routes(mux)
	mux.Handle("GET /metrics", promhttp.HandlerFor(d.Registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", s.healthz)
	if d.Extra != nil {
		d.Extra(mux)
	}
	metrics, err := rancher.NewMetrics(d.Registry)
	if err != nil {
		return nil, err
	}
	s.handler = rancher.Stack(mux, rancher.StackOptions{Logger: d.Log, Metrics: metrics, Token: d.Token, Guard: d.Guard})
	return s, nil
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/backingimages", s.listBackingImages)
	mux.HandleFunc("POST /v1/backingimages", s.postBackingImages)
	mux.HandleFunc("GET /v1/backingimages/{name}", s.getBackingImage)
	mux.HandleFunc("DELETE /v1/backingimages/{name}", s.deleteBackingImage)
	mux.HandleFunc("POST /v1/backingimages/{name}", s.backingImageAction)
	mux.HandleFunc("GET /v1/backingimages/{name}/download", s.downloadBackingImage)
	mux.HandleFunc("GET /v1/backupbackingimages", s.listBackups)
	mux.HandleFunc("GET /v1/backupbackingimages/{name}", s.getBackup)
	mux.HandleFunc("DELETE /v1/backupbackingimages/{name}", s.deleteBackup)
	mux.HandleFunc("POST /v1/backupbackingimages/{name}", s.backupAction)
	mux.HandleFunc("GET /v1/backuptargets", s.listBackupTargets)
	mux.HandleFunc("POST /v1/backuptargets", s.createBackupTarget)
	mux.HandleFunc("PUT /v1/backuptargets", s.syncAllTargets)
	mux.HandleFunc("GET /v1/backuptargets/{name}", s.serveBackupTarget)
	mux.HandleFunc("DELETE /v1/backuptargets/{name}", s.deleteBackupTarget)
	mux.HandleFunc("POST /v1/backuptargets/{name}", s.backupTargetAction)
	mux.HandleFunc("GET /v1/secrets", s.listSecrets)
	mux.HandleFunc("POST /v1/secrets", s.postSecrets)
	mux.HandleFunc("GET /v1/secrets/{name}", s.getSecret)
	mux.HandleFunc("DELETE /v1/secrets/{name}", s.deleteSecret)
	mux.HandleFunc("GET /v1/nodes", s.listNodes)
	mux.HandleFunc("GET /v1/nodes/{name}", s.getNode)
	mux.HandleFunc("POST /v1/nodes/{name}", s.nodeAction)
	mux.HandleFunc("GET /v1/settings", s.listSettings)
	mux.HandleFunc("GET /v1/settings/{name}", s.getSetting)
	mux.HandleFunc("PUT /v1/settings/{name}", s.putSetting)
	mux.HandleFunc("GET /v1/events", s.serveEvents)
	mux.HandleFunc("GET /v1/ws/{type}", s.serveWebsocket)
	mux.HandleFunc("GET /v1/ws/{period}/{type}", s.serveWebsocket)
	s.clusterRoutes(mux)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	rancher.WriteJSON(w, r, http.StatusOK, map[string]string{"status": "ok", "node": s.d.NodeID})
}

// writeErr answers with err's error envelope and status (statusOf).
func writeErr(w http.ResponseWriter, r *http.Request, err error) {
	rancher.WriteErr(w, r, withKind(err))
}

// statusOf is the HTTP status for err: its errkind kind's (rancher.StatusOf),
// with store errors read as not found (404) or conflict (409), else 500.
func statusOf(err error) int { return rancher.StatusOf(withKind(err)) }

// withKind gives a store error that carries no kind its kind; other errors
// are returned as they are.
func withKind(err error) error {
	if rancher.StatusOf(err) != http.StatusInternalServerError {
		return err
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return &errkind.Error{Kind: errkind.KindNotFound, Msg: err.Error(), Err: err}
	case errors.Is(err, store.ErrExists), errors.Is(err, store.ErrConflict):
		return &errkind.Error{Kind: errkind.KindConflict, Msg: err.Error(), Err: err}
	}
	return err
}
