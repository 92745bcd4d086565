package cli

import (
	"context"
	"fmt"
	"sort"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

// ImageVerify re-reads every copy of the image on the server's node
// against its block manifest now, has damaged blocks repaired from
// another copy or a backup, and prints each copy's state and message
// (which name the blocks found and where their repair came from). It fails
// when a copy is left failed.
func ImageVerify(ctx context.Context, env *Env, name string) error {
	bi, err := env.Client.VerifyBackingImage(ctx, name)
	if err != nil {
		return err
	}
	if env.json() {
		if err := printJSON(env.Out, bi); err != nil {
			return err
		}
	} else if err := printCopies(env, bi); err != nil {
		return err
	}
	var failed []string
	for d, f := range bi.DiskFileStatusMap {
		if f != nil && f.State == apitypes.StateFailed {
			failed = append(failed, d)
		}
	}
	sort.Strings(failed)
	if len(failed) > 0 {
		return fmt.Errorf("backing image %s: %d cop%s failed after verify (disks %v); see the messages above",
			name, len(failed), plural(len(failed), "y is", "ies are"), failed)
	}
	return nil
}

// printCopies prints one line per copy: disk UUID, state, message.
func printCopies(env *Env, bi *apitypes.BackingImage) error {
	disks := make([]string, 0, len(bi.DiskFileStatusMap))
	for d := range bi.DiskFileStatusMap {
		disks = append(disks, d)
	}
	sort.Strings(disks)
	if len(disks) == 0 {
		fmt.Fprintf(env.Out, "backing image %s has no copies\n", bi.Name)
		return nil
	}
	t := newTable(env.Out, "DISK UUID", "ENGINE", "STATE", "MESSAGE")
	for _, d := range disks {
		if f := bi.DiskFileStatusMap[d]; f != nil {
			t.row(d, f.DataEngine, f.State, f.Message)
		}
	}
	return t.flush()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
