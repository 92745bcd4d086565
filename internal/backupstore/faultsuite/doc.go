// Package faultsuite is the fault-injection suite of the backup store
// (issue 10, item 10). It holds tests only: for every target type (file,
// and s3, nfs, cifs, azblob against their real servers from testenv), every
// fault (refused connection, 5xx, reset, stall, slow, full store, a write
// that landed but reported an error, an outage longer than the retry
// budget) and every stage (backup, restore, delete + GC, sync listing), it
// runs the stack the daemon runs — the real driver, then faulty.Target
// injecting the fault, then all.Wrap's decorators (metrics, limit, retry)
// and a backupstore.Store — and checks that every acknowledged backup
// restores byte-identical, that deleting everything and collecting garbage
// leaves no block, cfg or lock file behind.
//
// Run it with
//
//	go test -count=1 ./internal/backupstore/faultsuite
//
// and regenerate docs/reliability.md's table from a run with
//
//	PLINTH_RELIABILITY_TABLE=docs/reliability.md go test -count=1 ./internal/backupstore/faultsuite
package faultsuite
