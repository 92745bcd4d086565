package backup

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/backupstore/lock"
	"github.com/plinth-storage/plinth/internal/controller/runner"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/settings"
	"github.com/plinth-storage/plinth/internal/store"
	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/faulty"
	"github.com/plinth-storage/plinth/internal/target/mem"
	"github.com/plinth-storage/plinth/internal/testenv"
)

// plane is the backup control plane on a real embedded etcd, with
// in-memory fault-injecting targets (one per URL) and running controllers.
type plane struct {
	t        *testing.T
	ctx      context.Context
	targets  *store.Kind[model.BackupTarget]
	bis      *store.Kind[model.BackingImage]
	records  *Records
	settings *settings.Store
	stores   *Stores
	svc      *Service
	ctl      *Controller
	tc       *TargetController
	images   map[string][]byte

	mu   sync.Mutex
	tgts map[string]*faulty.Target
}

func newPlane(t *testing.T) *plane {
	t.Helper()
	old := retryInitial
	retryInitial = time.Second
	t.Cleanup(func() { retryInitial = old })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	be := store.NewTestBackend(t)
	cli := be.Client
	p := &plane{t: t, ctx: ctx, images: map[string][]byte{}, tgts: map[string]*faulty.Target{},
		targets: store.NewKind[model.BackupTarget](cli, model.KindBackupTargets),
		bis:     store.NewKind[model.BackingImage](cli, model.KindBackingImages),
		records: &Records{Backups: store.NewKind[model.Backup](cli, model.KindBackups), Etcd: cli},
	}
	p.settings = settings.NewStore(store.NewKind[model.Setting](cli, model.KindSettings))
	p.stores = &Stores{Targets: p.targets, Secrets: store.NewKind[model.Secret](cli, model.KindSecrets),
		Open: func(_ context.Context, url string, _ map[string]string) (target.Target, error) {
			return unclosable{p.target(url)}, nil // the store outlives a URL change
		},
		StoreOptions: backupstore.Options{Lock: lock.Config{Expiry: 150 * time.Second, Refresh: 60 * time.Second, CheckWait: 10 * time.Millisecond},
			LockTimeout: 5 * time.Second}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		log = slog.Default()
	}
	p.ctl = &Controller{Records: p.records, BIs: p.bis, Stores: p.stores, Settings: p.settings,
		OpenCopy: func(_ context.Context, bi model.BackingImage) (LocalCopy, error) {
			return LocalCopy{Source: nopCloser{&backupstore.BytesSource{Data: p.images[bi.Name]}}}, nil
		},
		Metrics: NewMetrics(prometheus.NewRegistry(), p.records.Backups), Log: log}
	run := runner.New("backup", p.ctl, log)
	p.ctl.Enqueue = run.Enqueue
	p.tc = &TargetController{Targets: p.targets, Records: p.records, Stores: p.stores, Log: log}
	p.svc = &Service{Records: p.records, BIs: p.bis, Targets: p.targets, Stores: p.stores, Enqueue: run.Enqueue,
		ValidName: func(string) error { return nil }}
	go run.Run(ctx, 2)
	go store.Watch(ctx, cli, 0, func(e store.Event) {
		if e.Kind == model.KindBackups && !e.Deleted {
			run.Enqueue(e.Name)
		}
	})
	return p
}

type unclosable struct{ target.Target }

func (unclosable) Close() error { return nil }

type nopCloser struct{ *backupstore.BytesSource }

func (nopCloser) Close() error { return nil }

// target returns the fault-injecting in-memory store behind url.
func (p *plane) target(url string) *faulty.Target {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.tgts[url] == nil {
		p.tgts[url] = faulty.Wrap(mem.New())
	}
	return p.tgts[url]
}

// addTarget creates a target record with url.
func (p *plane) addTarget(name, url string) {
	p.t.Helper()
	if _, err := p.targets.Create(p.ctx, name, model.BackupTarget{Name: name, URL: url, SyncRequestedAt: time.Now()}); err != nil {
		p.t.Fatal(err)
	}
}

// addImage creates a backing image with one ready copy of size bytes of
// random data (4 KiB-granular, so blocks differ) and returns its checksum.
func (p *plane) addImage(name string, size int) string {
	p.t.Helper()
	data := make([]byte, size)
	r := rand.New(rand.NewPCG(uint64(size), uint64(len(name))))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	sum := sha512.Sum512(data)
	p.images[name] = data
	bi := model.BackingImage{Name: name}
	bi.Status.CurrentChecksum = hex.EncodeToString(sum[:])
	bi.Status.Copies = map[string]*model.Copy{"disk-1": {State: apitypes.StateReady}}
	if _, err := p.bis.Create(p.ctx, name, bi); err != nil {
		p.t.Fatal(err)
	}
	return bi.Status.CurrentChecksum
}

func (p *plane) set(name, value string) {
	p.t.Helper()
	if err := p.settings.Set(p.ctx, name, value); err != nil {
		p.t.Fatal(err)
	}
}

func (p *plane) backup(name string) model.Backup {
	p.t.Helper()
	v, err := p.records.Backups.Get(p.ctx, name)
	if err != nil {
		p.t.Fatalf("get backup %s: %v", name, err)
	}
	return v.Value
}

// waitBackup waits until cond holds for the backup.
func (p *plane) waitBackup(name, what string, timeout time.Duration, cond func(model.Backup) bool) model.Backup {
	p.t.Helper()
	var last model.Backup
	testenv.Eventually(p.t, timeout, "backup "+name+" "+what, func() (bool, string) {
		v, err := p.records.Backups.Get(p.ctx, name)
		if err != nil {
			return false, err.Error()
		}
		last = v.Value
		return cond(last), last.Status.State + ": " + last.Status.Error
	})
	return last
}

func inState(state string) func(model.Backup) bool {
	return func(b model.Backup) bool { return b.Status.State == state }
}

// blockPuts counts Put calls on block keys of f (failed ones included).
func blockPuts(f *faulty.Target) *countingRule {
	c := &countingRule{}
	f.Add(faulty.Rule{Ops: []string{target.OpPut}, Match: func(_, key string) bool {
		if len(key) > len(blocksPrefix) && key[:len(blocksPrefix)] == blocksPrefix {
			c.mu.Lock()
			c.n++
			c.mu.Unlock()
		}
		return false
	}})
	return c
}

const blocksPrefix = "backupstore/backing-images/blocks/"

type countingRule struct {
	mu sync.Mutex
	n  int
}

func (c *countingRule) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
