// Package v1 is data engine v1: copies of backing images stored as sparse
// files on filesystem disks, laid out as Longhorn lays them out so that a
// Longhorn v1 replica can open them directly:
//
//	<disk>/plinth-disk.cfg                               {"diskUUID": ...}, the disk's identity
//	<disk>/backing-images/<name>-<uuid>/backing          the image, raw or qcow2, exactly as received
//	<disk>/backing-images/<name>-<uuid>/backing.cfg      JSON Config (Longhorn's fields plus plinth's)
//	<disk>/backing-images/<name>-<uuid>/backing.tmp      the file being written; never outlives its work
//
// Invariants the rest of plinth relies on:
//   - A `backing` file exists only after its backing.cfg was written and
//     synced: Commit writes the cfg first, then renames backing.tmp to
//     backing, then syncs the directory.
//   - Every byte that reaches a copy is hashed (SHA-512) as it is written, so
//     committing never reads the file again; Verify is the explicit re-read.
//   - Runs of zeros are not written: the file is sparse, and holes read as
//     zeros for both the hash and the consumers.
//   - Temp files belong to one Writer in one process. After a crash they are
//     garbage: CleanupTemp removes them at start-up, and interrupted work
//     starts again from byte zero.
package v1
