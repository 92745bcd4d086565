// Package v2 is data engine v2: copies of backing images stored as thin,
// read-only volumes in a volume store (package volstore) on a block disk —
// a block device, or a regular file used as one.
//
// A copy is one volume named "<image name>-<image UUID>" (CopyID.String),
// holding the image's raw content: qcow2 sources are converted to raw with
// qemu-img on the way in. Its attributes record the image's name and UUID,
// the checksum the source had to match, the source format, the SHA-512 of
// the raw content stored (the copy's checksum) and its state.
//
// Invariants the rest of plinth relies on:
//   - A copy whose state attribute is "ready" is read-only, and its content
//     was durable (a volume-store commit) before the state was recorded, so
//     a ready copy survives any crash exactly as it was committed.
//   - A volume that is not ready belongs to one writer in one process.
//     After a crash it is garbage: CleanupIncomplete deletes it at start-up,
//     which frees its clusters, and interrupted work starts again.
//   - Every byte that reaches a copy is hashed as it is written, so making
//     a copy never reads it back; Verify is the explicit re-read.
//   - Clusters that would hold only zeros are never allocated: writers
//     write whole, cluster-aligned windows and skip the source's holes.
package v2
