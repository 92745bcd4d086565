// Package volstore is plinth's v2 data engine storage: a volume store on one
// block disk (a block device, or a regular file used as one) holding thin
// volumes.
//
// A store is a superblock, two checksummed, generation-numbered copies of the
// metadata (volumes, their cluster maps and an allocation map) and data
// clusters. FORMAT.md in this directory is the on-disk specification.
//
// Guarantees:
//   - Clusters that would hold only zeros are never allocated; free space is
//     derived from the volumes' maps and Capacity is exact.
//   - Metadata commits are crash-safe: a commit writes the inactive copy with
//     the next generation and fsyncs it; Open uses the valid copy with the
//     highest generation, so a torn commit leaves the previous one in force.
//   - Clusters referenced by committed metadata are never overwritten in
//     place (copy-on-write), so after a crash every volume reads exactly what
//     it read at the last completed commit (Volume.Sync, or any metadata
//     change). Writes made after it are gone, never half-visible.
//   - Open runs the same verification as Check and refuses a damaged store,
//     or one written in another format version, with an error that says so.
//
// A Store is safe for concurrent use by many goroutines: a mutex guards the
// metadata, and each volume has its own lock, so I/O to different volumes
// proceeds in parallel.
package volstore
