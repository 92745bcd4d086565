package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/client"
)

// BackupCreateOptions are the options of `plinth backup create`.
type BackupCreateOptions struct {
	Images []string
	Target string
	// Name is the backup's name; only with one image. Empty means
	// generated (<image>-<random>).
	Name   string
	Labels map[string]string
	Wait   bool
}

// BackupCreate backs images up: one image is a single create action, several
// are one batch action whose per-item failures are printed and make the
// command fail after the rest were started.
func BackupCreate(ctx context.Context, env *Env, o BackupCreateOptions) error {
	switch {
	case len(o.Images) == 0:
		return errors.New("name at least one backing image to back up")
	case o.Target == "":
		return errors.New("--target is required: name the backup target (see `plinth target list`)")
	case len(o.Images) > 1 && o.Name != "":
		return errors.New("--name works with one backing image only; backups of several get generated names")
	case len(o.Images) > 1 && len(o.Labels) > 0:
		return errors.New("--label works with one backing image only")
	}
	if len(o.Images) == 1 {
		b, err := env.Client.CreateBackup(ctx, o.Images[0], apitypes.BackupBackingImageCreateInput{
			BackupTargetName: o.Target, Name: o.Name, Labels: o.Labels})
		if err != nil {
			return err
		}
		return finishBackups(ctx, env, o.Wait, []apitypes.BackupBackingImageBatchResult{
			{BackingImageName: o.Images[0], BackupBackingImage: b}})
	}
	results, err := env.Client.CreateBackups(ctx, apitypes.BackupBackingImageBatchCreateInput{
		BackingImageNames: o.Images, BackupTargetName: o.Target})
	if err != nil {
		return err
	}
	return finishBackups(ctx, env, o.Wait, results)
}

// finishBackups optionally waits for the started backups, then prints one
// line per image and fails if any item failed.
func finishBackups(ctx context.Context, env *Env, wait bool, results []apitypes.BackupBackingImageBatchResult) error {
	var waitErr error
	for i, r := range results {
		if !wait || r.BackupBackingImage == nil {
			continue
		}
		b, err := waitBackup(ctx, env, r.BackupBackingImage.Name)
		if b != nil {
			results[i].BackupBackingImage = b
		}
		if err != nil && waitErr == nil {
			waitErr = err
		}
	}
	failed := 0
	for _, r := range results {
		if r.Error != nil {
			failed++
		}
	}
	if err := printBatch(env, results); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d backups could not be started (see the ERROR column)", failed, len(results))
	}
	return waitErr
}

func printBatch(env *Env, results []apitypes.BackupBackingImageBatchResult) error {
	if env.json() {
		return printJSON(env.Out, results)
	}
	t := newTable(env.Out, "BACKING IMAGE", "BACKUP", "STATE", "ERROR")
	for _, r := range results {
		switch {
		case r.Error != nil:
			t.row(r.BackingImageName, "", "", fmt.Sprintf("%s (HTTP %d)", r.Error.Message, r.Error.Status))
		case r.BackupBackingImage != nil:
			b := r.BackupBackingImage
			t.row(r.BackingImageName, b.Name, backupState(b), b.Error)
		}
	}
	return t.flush()
}

func backupState(b *apitypes.BackupBackingImage) string {
	if b.State == apitypes.BackupStateInProgress {
		return fmt.Sprintf("%s %d%%", b.State, b.Progress)
	}
	if b.State == apitypes.BackupStateNew {
		return "New"
	}
	return b.State
}

func waitBackup(ctx context.Context, env *Env, name string) (*apitypes.BackupBackingImage, error) {
	update, finish := env.percentBar(name)
	defer finish()
	poll := client.Poll[*apitypes.BackupBackingImage]{Interval: env.PollInterval, Observe: func(b *apitypes.BackupBackingImage) {
		update(b.Progress, backupState(b))
	}}
	return env.Client.WaitBackup(ctx, name, client.BackupCompleted, poll)
}

// BackupList prints the backups, optionally of one image and/or target.
func BackupList(ctx context.Context, env *Env, f client.BackupFilter) error {
	backups, err := env.Client.ListBackups(ctx, f)
	if err != nil {
		return err
	}
	if env.json() {
		return printJSON(env.Out, backups)
	}
	t := newTable(env.Out, "NAME", "BACKING IMAGE", "TARGET", "STATE", "SIZE", "COMPRESSION", "AGE")
	now := time.Now()
	for i := range backups {
		b := &backups[i]
		t.row(b.Name, b.BackingImageName, b.BackupTargetName, backupState(b), humanSize(b.Size),
			b.CompressionMethod, age(b.Created, now))
	}
	return t.flush()
}

// BackupGet prints one backup.
func BackupGet(ctx context.Context, env *Env, name string) error {
	b, err := env.Client.GetBackup(ctx, name)
	if err != nil {
		return err
	}
	if env.json() {
		return printJSON(env.Out, b)
	}
	return details(env.Out, "Name", b.Name, "Backing image", b.BackingImageName, "Target", b.BackupTargetName,
		"State", backupState(b), "Error", b.Error, "URL", b.URL, "Size", sizeText(b.Size),
		"Compression", b.CompressionMethod, "Checksum", b.Checksum, "Labels", labelsText(b.Labels),
		"Created", b.Created, "User created", strconv.FormatBool(b.UserCreated))
}

// BackupDelete deletes a backup (with localOnly, only plinth's record).
func BackupDelete(ctx context.Context, env *Env, name string, localOnly bool) error {
	if err := env.Client.DeleteBackup(ctx, name, localOnly); err != nil {
		return err
	}
	if localOnly {
		fmt.Fprintf(env.Out, "backup %s forgotten (its data stays on the target)\n", name)
		return nil
	}
	fmt.Fprintf(env.Out, "backup %s deleted\n", name)
	return nil
}
