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

// BackupVerify reads every block of a backup and prints the report; a
// damaged backup makes the command fail.
func BackupVerify(ctx context.Context, env *Env, name string) error {
	rep, err := env.Client.VerifyBackup(ctx, name)
	if err != nil {
		return err
	}
	if env.json() {
		if err := printJSON(env.Out, rep); err != nil {
			return err
		}
	} else if err := printVerify(env, rep); err != nil {
		return err
	}
	if !rep.OK {
		return fmt.Errorf("backup %s is damaged: %d bad blocks, checksum match %t", name, len(rep.BadBlocks), rep.ChecksumMatch)
	}
	return nil
}

func printVerify(env *Env, rep *apitypes.BackupVerifyReport) error {
	result := "OK"
	if !rep.OK {
		result = "DAMAGED"
	}
	err := details(env.Out, "Backup", rep.Name, "Result", result, "Blocks", fmt.Sprint(rep.Blocks),
		"Bad blocks", fmt.Sprint(len(rep.BadBlocks)), "Checksum", rep.Checksum,
		"Checksum match", fmt.Sprint(rep.ChecksumMatch))
	if err != nil || len(rep.BadBlocks) == 0 {
		return err
	}
	fmt.Fprintln(env.Out)
	t := newTable(env.Out, "OFFSET", "BLOCK", "REASON")
	for _, b := range rep.BadBlocks {
		t.row(fmt.Sprint(b.Offset), b.Key, b.Reason)
	}
	return t.flush()
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
