package cli

import (
	"context"
	"fmt"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

// BackupVerify reads every block of a backup and prints the report; a
// damaged backup makes the command fail.
func BackupVerify(ctx context.Context, env *Env, name string) error {
	rep, err := env.Client.VerifyBackup(ctx, name)
	if err != nil {
		return err
	}
	return reportVerify(env, name, rep)
}

// BackupRepair verifies a backup and rewrites its bad blocks from a ready
// local copy of the same image; it fails when the server has no such copy
// (the error says so) or when blocks remain bad afterwards.
func BackupRepair(ctx context.Context, env *Env, name string) error {
	rep, err := env.Client.RepairBackup(ctx, name)
	if err != nil {
		return err
	}
	return reportVerify(env, name, rep)
}

func reportVerify(env *Env, name string, rep *apitypes.BackupVerifyReport) error {
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
	fields := []string{"Backup", rep.Name, "Result", result, "Blocks", fmt.Sprint(rep.Blocks),
		"Bad blocks", fmt.Sprint(len(rep.BadBlocks)), "Checksum", rep.Checksum,
		"Checksum match", fmt.Sprint(rep.ChecksumMatch)}
	if rep.RepairSource != "" {
		fields = append(fields, "Repaired", fmt.Sprintf("%d blocks from backing image %s", rep.Repaired, rep.RepairSource),
			"Not repaired", fmt.Sprint(len(rep.Unrepaired)))
	}
	if err := details(env.Out, fields...); err != nil {
		return err
	}
	if err := blockTable(env, "Bad blocks:", rep.BadBlocks); err != nil {
		return err
	}
	return blockTable(env, "Not repaired:", rep.Unrepaired)
}

func blockTable(env *Env, title string, blocks []apitypes.BadBlock) error {
	if len(blocks) == 0 {
		return nil
	}
	fmt.Fprintf(env.Out, "\n%s\n", title)
	t := newTable(env.Out, "OFFSET", "BLOCK", "REASON")
	for _, b := range blocks {
		t.row(fmt.Sprint(b.Offset), b.Key, b.Reason)
	}
	return t.flush()
}
