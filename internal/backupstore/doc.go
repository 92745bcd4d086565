// Package backupstore reads and writes backing-image backups in Longhorn's
// backup-store format (reference/longhorn-backupstore.md §1-3, §6, §10) on
// any target.Target: backup, restore, inspect, list, delete with garbage
// collection, verify, and the lock protocol that lets plinth and Longhorn
// share a store.
//
// It keeps the format and fixes the weak points upstream has (§11): GC
// never deletes on a failed or changing listing, block encodings are
// sniffed, restores verify every block and the whole-image SHA-512 and
// fsync, a failed backup's placeholder is resumed rather than sticky, a
// complete cfg is never replaced because of a transient error, and no
// request is spent per block to test existence (a KnownBlocks set, filled
// by one listing of the pool, decides what to upload).
//
// A Store binds a target to options and to that target's KnownBlocks;
// keep one Store per target for the life of the process.
package backupstore
