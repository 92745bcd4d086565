package faultsuite

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/plinth-storage/plinth/internal/backupstore"
	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/target"
)

// stage is one backup-store operation a fault is injected into.
type stage struct {
	name string
	what string
	// mid is the 1-based call index where mid-operation faults begin: past
	// the lock protocol's four calls (write, stat, list, mark acquired)
	// for the operations that take the store lock.
	mid int
	// dataMid is the same for faults that count only data calls (those
	// not on lock files): the first block read or written, or for delete
	// the walk of the block pool.
	dataMid int
	// begin runs once, before the first attempt.
	begin func(e *env)
	// attempt runs the operation once. A nil error with a wrong result
	// (other bytes restored, a listing missing a backup) is returned as
	// wrong: the data-loss outcome.
	attempt func(ctx context.Context, e *env) (wrong string, err error)
}

var stages = []stage{
	{
		name: "backup", mid: 6, dataMid: 4,
		what:    `Store.Backup of "new" (shares one block with each existing backup, adds two)`,
		attempt: backupNew,
	},
	{
		name: "restore", mid: 6, dataMid: 2,
		what:    `Store.Restore of "base" into memory, checked against the source's SHA-512`,
		attempt: restoreBase,
	},
	{
		name: "delete", mid: 6, dataMid: 3,
		what:    `Store.Delete of "base" (cfg removal, then mark-and-sweep GC); "other" shares a block with it`,
		begin:   func(e *env) { delete(e.acked, "base") },
		attempt: deleteBase,
	},
	{
		name: "sync", mid: 2, dataMid: 2,
		what:    "Store.List, the listing a target sync reads (walk of the cfgs, then each cfg)",
		attempt: listAll,
	},
}

func backupNew(ctx context.Context, e *env) (string, error) {
	img := images["new"]
	res, err := e.store.Backup(ctx, backupstore.BackupRequest{Name: "new", Source: &backupstore.BytesSource{Data: img}}, nil)
	if err != nil {
		return "", err
	}
	e.acked["new"] = true
	if res.Config == nil || res.Config.Checksum != sha512Hex(img) {
		return fmt.Sprintf("backup returned success with a cfg that does not hold the source's checksum: %+v", res.Config), nil
	}
	return "", nil
}

func restoreBase(ctx context.Context, e *env) (string, error) {
	sink := &backupstore.BytesSink{}
	if _, err := e.store.Restore(ctx, "base", sink, backupstore.RestoreOptions{}, nil); err != nil {
		return "", err
	}
	data, synced := sink.Bytes()
	if !synced || sha512Hex(data) != sha512Hex(images["base"]) {
		return fmt.Sprintf("restore returned success but the image differs (synced %v, %d bytes)", synced, len(data)), nil
	}
	return "", nil
}

func deleteBase(ctx context.Context, e *env) (string, error) {
	if _, err := e.store.Delete(ctx, "base"); err != nil {
		return "", err
	}
	if _, err := e.raw.Stat(ctx, format.ConfigKey("base")); !target.IsNotFound(err) {
		return fmt.Sprintf("delete returned success but %s is still there (stat: %v)", format.ConfigKey("base"), err), nil
	}
	return "", nil
}

func listAll(ctx context.Context, e *env) (string, error) {
	list, err := e.store.List(ctx)
	if err != nil {
		return "", err
	}
	var got []string
	for _, s := range list {
		got = append(got, s.Name)
		if s.InProgress || s.Checksum != sha512Hex(images[s.Name]) {
			return fmt.Sprintf("listing returned %s with checksum %.16s…, in progress %v", s.Name, s.Checksum, s.InProgress), nil
		}
	}
	if want := slices.Sorted(maps.Keys(e.acked)); !slices.Equal(got, want) {
		return fmt.Sprintf("listing returned success with %v, want %v", got, want), nil
	}
	return "", nil
}
