package cli

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

// BackupRestoreOptions are the options of `plinth backup restore`.
type BackupRestoreOptions struct {
	Backup string
	// Name of the new backing image; empty means the backed-up image's.
	Name       string
	DataEngine string
	Wait       bool
}

// BackupRestore creates a backing image from a backup.
func BackupRestore(ctx context.Context, env *Env, o BackupRestoreOptions) error {
	bi, err := env.Client.RestoreBackup(ctx, o.Backup, apitypes.BackingImageRestoreInput{
		Name: o.Name, DataEngine: o.DataEngine})
	if err != nil {
		return err
	}
	if o.Wait {
		return finishWait(ctx, env, bi.Name)
	}
	if env.json() {
		return printJSON(env.Out, bi)
	}
	fmt.Fprintf(env.Out, "restoring backup %s into backing image %s\n", o.Backup, bi.Name)
	return nil
}

func labelsText(labels map[string]string) string {
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+"="+labels[k])
	}
	return strings.Join(parts, ",")
}

// BackupRetry starts a failed backup again (optionally waiting for it to
// finish); a backup that is not in Error is refused by the server.
func BackupRetry(ctx context.Context, env *Env, name string, wait bool) error {
	b, err := env.Client.RetryBackup(ctx, name)
	if err != nil {
		return err
	}
	return finishBackups(ctx, env, wait, []apitypes.BackupBackingImageBatchResult{
		{BackingImageName: b.BackingImageName, BackupBackingImage: b}})
}
