package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/plinth-storage/plinth/internal/api"
	"github.com/plinth-storage/plinth/internal/api/rancher"
	"github.com/plinth-storage/plinth/internal/cluster"
	"github.com/plinth-storage/plinth/internal/controller/backingimage"
	"github.com/plinth-storage/plinth/internal/controller/node"
	"github.com/plinth-storage/plinth/internal/controller/runner"
	"github.com/plinth-storage/plinth/internal/controller/scrub"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/settings"
	"github.com/plinth-storage/plinth/internal/store"
)

// Run starts the daemon and blocks until ctx is done or it fails. It prints
// the URL it serves on standard error once it is listening.
func Run(ctx context.Context, opts Options) (err error) {
	opts, err = opts.withDefaults()
	if err != nil {
		return err
	}
	log := newLogger(opts.LogLevel)
	defer func() { logFatal(log, err) }()
	if err := os.MkdirAll(opts.DataDir, 0o750); err != nil {
		return fmt.Errorf("create data dir %s: %w", opts.DataDir, err)
	}
	lis, err := net.Listen("tcp", opts.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w (is another plinth running? choose another --listen)", opts.Listen, err)
	}
	defer lis.Close()
	backend, err := openBackend(ctx, opts, log)
	if err != nil {
		return err
	}
	defer backend.Close()
	ctx, etcdStopped := cluster.StopWhenEtcdStops(ctx, backend)
	opts.AdvertiseURL = advertiseURL(opts.AdvertiseURL, lis.Addr())
	d, err := assemble(ctx, opts, backend, log, opts.AdvertiseURL)
	if err != nil {
		return etcdStopped(err)
	}
	return etcdStopped(d.serve(ctx, lis))
}

func openBackend(ctx context.Context, opts Options, log *slog.Logger) (*store.Backend, error) {
	c := opts.Cluster
	return cluster.Open(ctx, cluster.Config{DataDir: opts.DataDir, NodeID: opts.NodeID, EtcdEndpoints: opts.EtcdEndpoints,
		Token: c.Token, PeerListen: c.PeerListen, ClientListen: c.ClientListen, Join: c.Join, APIToken: opts.Token, Log: log})
}

// daemon is the assembled server: store, controllers and API.
type daemon struct {
	opts     Options
	log      *slog.Logger
	backend  *store.Backend
	bis      *store.Kind[model.BackingImage]
	nodeCtl  *node.Controller
	nodeRun  *runner.Runner
	biCtl    *backingimage.Controller
	biRun    *runner.Runner
	hub      *api.Hub
	handler  http.Handler
	disks    *node.Registry
	settings *settings.Store
	backups  *backupPlane
	scrubber *scrub.Scrubber
}

func assemble(ctx context.Context, opts Options, backend *store.Backend, log *slog.Logger, addr string) (*daemon, error) {
	cli := backend.Client
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	d := &daemon{opts: opts, log: log, backend: backend, hub: api.NewHub(), disks: node.NewRegistry(),
		bis:      store.NewKind[model.BackingImage](cli, model.KindBackingImages),
		settings: settings.NewStore(store.NewKind[model.Setting](cli, model.KindSettings)),
	}
	nodes := store.NewKind[model.Node](cli, model.KindNodes)
	stage, err := clearStage(opts.DataDir, log)
	if err != nil {
		return nil, err
	}
	d.nodeCtl = &node.Controller{Nodes: nodes, Members: &node.Members{Client: cli}, NodeID: opts.NodeID, Registry: d.disks, Log: log, Settings: d.settings, StageDir: stage}
	d.nodeRun = runner.New("node", d.nodeCtl, log)
	d.biCtl = &backingimage.Controller{
		BIs: d.bis, Settings: d.settings, Disks: d.disks, NodeID: opts.NodeID,
		AllowPrivate: opts.InsecureAllowPrivateSources, Log: log,
		Metrics: backingimage.NewMetrics(reg, d.bis),
	}
	if d.backups, err = d.assembleBackups(ctx, reg); err != nil {
		return nil, err
	}
	d.biCtl.Restorer = d.backups.restorer
	d.scrubber = &scrub.Scrubber{BIs: d.bis, Settings: d.settings, Disks: d.disks, NodeID: opts.NodeID,
		Scrubs: scrub.NewKind(cli), Backups: d.backups.blocks, Log: log}
	d.biRun = runner.New("backingimage", d.biCtl, log)
	d.biCtl.Enqueue = d.biRun.Enqueue
	d.scrubber.Enqueue = d.biRun.Enqueue
	runMetrics, err := runner.NewMetrics(reg)
	if err != nil {
		return nil, err
	}
	runMetrics.Instrument(d.nodeRun, d.biRun, d.backups.targetRun, d.backups.backupRun)
	d.nodeCtl.OnChange = func() { d.enqueueAllImages(ctx) }
	if err := d.nodeCtl.EnsureNode(ctx, opts.DataDir, addr); err != nil {
		return nil, err
	}
	if err := d.backups.ensureDefaultTarget(ctx, opts.DefaultBackupTarget); err != nil {
		return nil, err
	}
	guard, err := newGuard(opts)
	if err != nil {
		return nil, err
	}
	srv, err := api.New(api.Deps{
		Etcd: cli, BIs: d.bis, Nodes: nodes, Settings: d.settings, BIController: d.biCtl,
		NodeRun: d.nodeRun, Disks: d.disks, NodeID: opts.NodeID, DataDir: opts.DataDir, AllowPrivate: opts.InsecureAllowPrivateSources,
		Log: log, Registry: reg, Token: opts.Token, Guard: guard, Hub: d.hub,
		Verify:  func(ctx context.Context, name string) error { _, err := d.scrubber.VerifyImage(ctx, name); return err },
		Targets: d.backups.targets, Secrets: d.backups.secrets, RekeySecrets: d.backups.atRest.rekey, Backups: d.backups.apiDeps(),
		Extra:   extraRoutes(opts),
		Cluster: cluster.NewService(cli, opts.Cluster.Token, len(opts.EtcdEndpoints) == 0, opts.Cluster.MaxMembers),
	})
	if err != nil {
		return nil, err
	}
	d.handler = srv
	return d, nil
}

// serve runs the controllers and the HTTP server until ctx is done.
func (d *daemon) serve(ctx context.Context, lis net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go d.nodeRun.Run(ctx, 1)
	waitMembership, err := d.startMembership(ctx)
	if err != nil {
		return err
	}
	defer func() { cancel(); waitMembership() }()
	if err := d.recoverDisks(ctx); err != nil {
		return err
	}
	_, rev, err := d.bis.List(ctx)
	if err != nil {
		return err
	}
	go store.Watch(ctx, d.backend.Client, rev, d.onEvent(ctx))
	go d.biRun.Run(ctx, 4)
	d.nodeRun.EnqueueAfter(d.opts.NodeID, 30*time.Second)
	d.enqueueAllImages(ctx)
	d.backups.run(ctx)
	go d.scrubber.Run(ctx)

	hs := &http.Server{Handler: d.handler, ReadHeaderTimeout: 30 * time.Second, ErrorLog: slog.NewLogLogger(d.log.Handler(), slog.LevelWarn)}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(lis) }()
	fmt.Fprintf(os.Stderr, "plinth is serving the API and UI on http://%s/ (data in %s)\n", lis.Addr(), d.opts.DataDir)
	d.log.Info("serving", "addr", lis.Addr().String(), "node", d.opts.NodeID, "dataDir", d.opts.DataDir)
	select {
	case err := <-errc:
		return fmt.Errorf("http server: %w", err)
	case <-ctx.Done():
	}
	sctx, scancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer scancel()
	_ = hs.Shutdown(sctx)
	d.backups.stores.CloseAll()
	d.nodeCtl.Close()
	return nil
}

// recoverDisks opens this node's disks and removes what work a crash
// interrupted left on them (that work is restarted or failed by the
// controller).
func (d *daemon) recoverDisks(ctx context.Context) error {
	if err := d.nodeRun.EnqueueAndWait(ctx, d.opts.NodeID); err != nil {
		return fmt.Errorf("open this node's disks: %w", err)
	}
	for _, ref := range d.disks.All() {
		removed, err := ref.Disk.Cleanup()
		if err != nil {
			d.log.Warn("clean up after interrupted work", "disk", ref.Name, "err", err)
		}
		for _, f := range removed {
			d.log.Info("removed what interrupted work left", "disk", ref.Name, "item", f)
		}
	}
	return nil
}

// clearStage creates <dataDir>/staging, where block disks stage sequential
// sources before conversion, and empties it: a staged file lives only
// while a worker converts it, so anything there at start-up is left by a
// crash. It returns the folder's path.
func clearStage(dataDir string, log *slog.Logger) (string, error) {
	dir := filepath.Join(dataDir, "staging")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("create staging folder %s: %w", dir, err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", fmt.Errorf("read staging folder %s: %w", dir, err)
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if err := os.RemoveAll(p); err != nil {
			return "", fmt.Errorf("clear staging folder %s: %w (remove what is left there by hand)", dir, err)
		}
		log.Info("removed what interrupted staging left", "item", p)
	}
	return dir, nil
}

func (d *daemon) onEvent(ctx context.Context) func(store.Event) {
	return func(e store.Event) {
		d.hub.Publish(e)
		d.backups.onEvent(ctx, e)
		switch e.Kind {
		case model.KindBackingImages:
			d.biRun.Enqueue(e.Name)
		case model.KindNodes, model.KindNodeLeases:
			d.nodeRun.Enqueue(e.Name)
		case model.KindSettings: // the disk reserve or the scrub settings may have changed
			d.nodeRun.Enqueue(d.opts.NodeID)
			d.scrubber.Kick()
		case "":
			d.enqueueAllImages(ctx)
		}
	}
}

func (d *daemon) enqueueAllImages(ctx context.Context) {
	list, _, err := d.bis.List(ctx)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			d.log.Warn("list backing images", "err", err)
		}
		return
	}
	for _, bi := range list {
		d.biRun.Enqueue(bi.Name)
	}
}

// logFatal logs the error that stops the daemon, so that the reason is in
// its log (not only in the exit status) whatever fails: the store, a disk,
// the listener. A clean stop (nil) logs nothing; a stop requested before
// the daemon was ready is not an error.
func logFatal(log *slog.Logger, err error) {
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled):
		log.Info("plinth stopped before it was ready", "err", err)
	default:
		log.Error("plinth stopped", "err", err)
	}
}

func newLogger(level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// withDefaults fills unset options and checks the combination.
func (o Options) withDefaults() (Options, error) {
	if o.DataDir == "" {
		o.DataDir = "plinth-data"
	}
	abs, err := filepath.Abs(o.DataDir)
	if err != nil {
		return o, fmt.Errorf("data dir %q: %w", o.DataDir, err)
	}
	o.DataDir = abs
	if o.Listen == "" {
		o.Listen = "127.0.0.1:9500"
	}
	if o.NodeID == "" {
		if o.NodeID, err = os.Hostname(); err != nil || o.NodeID == "" {
			o.NodeID = "node-1"
		}
	}
	if o.AdvertiseURL, err = checkAdvertiseURL(o.AdvertiseURL); err != nil {
		return o, err
	}
	if o.LogLevel == "" {
		o.LogLevel = "info"
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(o.LogLevel)); err != nil {
		return o, fmt.Errorf("invalid --log-level %q: use debug, info, warn or error", o.LogLevel)
	}
	if o.SecretsKeyFile == "" {
		o.SecretsKeyFile = filepath.Join(o.DataDir, "secrets.key")
	}
	if o.SecretsKeyFile, err = filepath.Abs(o.SecretsKeyFile); err != nil {
		return o, fmt.Errorf("secrets key file %q: %w", o.SecretsKeyFile, err)
	}
	if o.DefaultBackupTarget == "" {
		o.DefaultBackupTarget = "file://" + filepath.Join(o.DataDir, "backupstore")
	}
	host, _, err := net.SplitHostPort(o.Listen)
	if err != nil {
		return o, fmt.Errorf("invalid --listen %q: use host:port, e.g. 127.0.0.1:9500", o.Listen)
	}
	if ip := net.ParseIP(host); (ip == nil || !ip.IsLoopback()) && host != "localhost" && o.Token == "" {
		return o, fmt.Errorf("listening on %s (not loopback) requires an API token: set PLINTH_TOKEN", o.Listen)
	}
	return o, nil
}

// newGuard builds the API's Host, Origin and Content-Type checks from the
// listen address, --allowed-origins and --allowed-hosts.
func newGuard(o Options) (rancher.Middleware, error) {
	host, _, _ := net.SplitHostPort(o.Listen) // withDefaults has checked it
	return rancher.Guard(rancher.GuardOptions{ListenHost: host, AllowedOrigins: o.AllowedOrigins, AllowedHosts: o.AllowedHosts})
}
