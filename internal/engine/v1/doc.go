// Package v1 is data engine v1: copies of backing images stored as sparse
// files on filesystem disks, laid out as Longhorn lays them out so that a
// Longhorn v1 replica can open them directly:
//
//	<disk>/plinth-disk.cfg                               {"diskUUID": ...}, the disk's identity
//	<disk>/backing-images/<name>-<uuid>/backing          the image, raw or qcow2, exactly as received
//	<disk>/backing-images/<name>-<uuid>/backing.cfg      JSON Config (Longhorn's fields plus plinth's)
//	<disk>/backing-images/<name>-<uuid>/backing.manifest the block manifest (engine.Manifest, binary)
//	<disk>/backing-images/<name>-<uuid>/backing.tmp      the file being written; never outlives its work
//
// Invariants the rest of plinth relies on:
//   - A `backing` file made by this version exists only after its
//     backing.manifest and backing.cfg were written and synced: publishing
//     writes the manifest, then the cfg, then renames backing.tmp to
//     backing, then syncs the directory. Copies of older versions have no
//     manifest until Manifest builds it (once, checked against the cfg).
//   - Every byte that reaches a copy is hashed once as it is written: the
//     whole SHA-512 in order, the manifest's block IDs on other goroutines
//     (Writer); a restore hands over the backup's block list and a
//     replication the source's manifest, each block verified as it is
//     copied. Committing never reads the file again; Verify (and the
//     scrub) re-read it against the manifest, and Repair rewrites a block.
//   - Runs of zeros are not written: the file is sparse, and holes read as
//     zeros for both the hash and the consumers.
//   - Temp files belong to one Writer in one process. After a crash they are
//     garbage: Cleanup removes them at start-up (and Create clears them for
//     its copy), and interrupted work starts again from byte zero.
package v1
