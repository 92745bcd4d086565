package server

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/plinth-storage/plinth/internal/api"
	"github.com/plinth-storage/plinth/internal/controller/backup"
	"github.com/plinth-storage/plinth/internal/controller/runner"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
	"github.com/plinth-storage/plinth/internal/target/file"
)

// backupPlane is the assembled backup control plane.
type backupPlane struct {
	targets   *store.Kind[model.BackupTarget]
	secrets   *store.Kind[model.Secret]
	atRest    *secretsAtRest
	records   *backup.Records
	targetRun *runner.Runner
	backupRun *runner.Runner
	service   *backup.Service
	restorer  *backup.Restorer
	blocks    *backupBlocks
	stores    *backup.Stores
}

func (d *daemon) assembleBackups(ctx context.Context, reg prometheus.Registerer) (*backupPlane, error) {
	cli := d.backend.Client
	atRest, err := openSecrets(ctx, cli, d.opts.SecretsKeyFile, d.log)
	if err != nil {
		return nil, err
	}
	p := &backupPlane{
		targets: store.NewKind[model.BackupTarget](cli, model.KindBackupTargets),
		secrets: atRest.kind,
		atRest:  atRest,
	}
	p.records = &backup.Records{Backups: store.NewKind[model.Backup](cli, model.KindBackups), Etcd: cli}
	journal, err := backup.OpenLockJournal(filepath.Join(d.opts.DataDir, "lock-journal.json"))
	if err != nil {
		return nil, err
	}
	stores := &backup.Stores{Targets: p.targets, Secrets: p.secrets, Metrics: reg, Journal: journal,
		BadBlocks: &backup.BadBlocks{Kind: store.NewKind[model.BadBlocks](cli, model.KindBadBlocks)}}
	tc := &backup.TargetController{Targets: p.targets, Records: p.records, Stores: stores, Log: d.log}
	p.targetRun = runner.New("backuptarget", tc, d.log)
	bc := &backup.Controller{Records: p.records, BIs: d.bis, Stores: stores, Settings: d.settings,
		OpenCopy: d.openCopy, CopyDamaged: d.biCtl.MarkDamaged, Metrics: backup.NewMetrics(reg, p.records.Backups), Log: d.log}
	p.backupRun = runner.New("backup", bc, d.log)
	bc.Enqueue = p.backupRun.Enqueue
	p.service = &backup.Service{Records: p.records, BIs: d.bis, Targets: p.targets, Stores: stores,
		Enqueue: p.backupRun.Enqueue, CheckNow: p.targetRun.Enqueue, ValidName: api.CheckBackupName,
		OpenCopy: bc.OpenCopy}
	p.restorer = &backup.Restorer{Stores: stores, Settings: d.settings}
	p.blocks = &backupBlocks{records: p.records.Backups, stores: stores}
	p.stores = stores
	return p, nil
}

// openCopy opens a ready local copy of bi, with its manifest, for the
// backup layer.
func (d *daemon) openCopy(ctx context.Context, bi model.BackingImage) (backup.LocalCopy, error) {
	o, err := d.biCtl.OpenCopy(ctx, bi)
	if err != nil {
		return backup.LocalCopy{}, err
	}
	return backup.LocalCopy{Source: o, Manifest: o.Manifest, ID: o.ID, DiskUUID: o.DiskUUID, DiskPath: o.DiskPath}, nil
}

func (p *backupPlane) apiDeps() *api.BackupDeps {
	return &api.BackupDeps{Service: p.service, Records: p.records.Backups, Check: p.targetRun.Enqueue, Enqueue: p.backupRun.Enqueue,
		CheckNow: func(ctx context.Context, name string) {
			// A check through the runner that the API's reply waits for;
			// a failure is recorded on the target, which the reply shows.
			_ = p.targetRun.EnqueueAndWait(ctx, name)
		}}
}

// ensureDefaultTarget creates the `default` target at first start, with a
// local folder under the data dir unless --default-backup-target says
// otherwise.
func (p *backupPlane) ensureDefaultTarget(ctx context.Context, rawURL string) error {
	if u, err := url.Parse(rawURL); err == nil && u.Scheme == "file" {
		if err := file.CheckRoot(u.Path); err != nil {
			return fmt.Errorf("--default-backup-target %s: %w; choose another folder", rawURL, err)
		}
		if err := os.MkdirAll(u.Path, 0o750); err != nil {
			return fmt.Errorf("create the default backup target folder %s: %w", u.Path, err)
		}
	}
	bt := model.BackupTarget{Name: model.DefaultTargetName, URL: rawURL, PollSeconds: 300, SyncRequestedAt: time.Now().UTC()}
	_, err := p.targets.Create(ctx, bt.Name, bt)
	if errors.Is(err, store.ErrExists) {
		return nil
	}
	return err
}

// run starts the runners and queues every target and backup.
func (p *backupPlane) run(ctx context.Context) {
	go p.targetRun.Run(ctx, 2)
	go p.backupRun.Run(ctx, 4)
	p.enqueueAll(ctx)
}

func (p *backupPlane) enqueueAll(ctx context.Context) {
	if list, _, err := p.targets.List(ctx); err == nil {
		for _, t := range list {
			p.targetRun.Enqueue(t.Name)
		}
	}
	if list, _, err := p.records.Backups.List(ctx); err == nil {
		for _, b := range list {
			p.backupRun.Enqueue(b.Name)
		}
	}
}

// onEvent routes a store change to the runner that owns it.
func (p *backupPlane) onEvent(ctx context.Context, e store.Event) {
	switch e.Kind {
	case model.KindBackupTargets:
		p.targetRun.Enqueue(e.Name)
	case model.KindBackups:
		p.backupRun.Enqueue(e.Name)
	case model.KindSecrets:
		if list, _, err := p.targets.List(ctx); err == nil {
			for _, t := range list {
				if t.Value.CredentialSecret == e.Name {
					p.targetRun.Enqueue(t.Name)
				}
			}
		}
	case "":
		p.enqueueAll(ctx)
	}
}
