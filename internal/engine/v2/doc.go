// Package v2 is data engine v2: copies of backing images stored as thin,
// read-only volumes in a volume store (package volstore) on a block disk —
// a block device, or a regular file used as one. *Disk implements
// engine.Disk; the package imports neither data engine v1 nor the backup
// store.
//
// A copy is one volume named "<image name>-<image UUID>" (CopyID.String),
// holding the image's raw content: qcow2 sources are converted to raw with
// qemu-img on the way in. Its attributes record the image's name and UUID,
// the checksum the source had to match, the source format, the SHA-512 of
// the raw content stored (the copy's checksum) and its state.
//
// Sequential sources (Create: a download, an upload) and qcow2 backups are
// staged as a file in the staging directory given to OpenDisk, shared by
// every v2 disk of a daemon; files are named "<disk UUID>-<copy volume>.tmp"
// (".raw.tmp" for a conversion's output), so disks and copies never
// collide, and Cleanup removes its own disk's stale ones.
//
// The manifest. Every copy's block manifest (engine.Manifest: one 32-byte
// block ID per 2 MiB block, about 16 KiB per GiB, 33 KB for 1 GiB, 270 KB
// for 8 GiB) is kept in a small companion volume named ".manifest-<first
// 32 hex digits of the SHA-256 of the copy's volume name>", whose
// "manifestOf" attribute names the copy's volume and whose content is
// engine.Manifest.MarshalBinary (self-checksummed). Not a volume attribute:
// volstore caps a volume's attributes at 2 KiB (MaxAttrBytes). A companion
// volume costs one cluster (2 MiB by default) and one volume slot per copy
// (a store holds DefaultMaxVolumes = 1024 volumes, so up to 512 copies),
// needs no change to the volume store's on-disk format, and is written
// and deleted with the store's own crash-safe commits. Names starting with
// '.' are never copy volumes (a copy's name starts with a letter or digit),
// and ListCopies does not list manifest volumes.
//
// The manifest is computed while the copy is written and never by reading
// the copy back: Create hashes blocks beside the whole SHA-512 as the
// bytes arrive (raw content is then copied into the volume without hashing
// it again); a conversion's raw output is hashed as it is copied (holes
// skipped, never hashed); Restore stores the manifest the restore proved
// as is (or builds it with one read when the restore gave none); Replicate
// checks every block read against the source's manifest and gives the new
// copy that manifest. A copy made before manifests gets one built on the
// first Manifest call (engine.Build, checked against the copy's checksum).
//
// Invariants the rest of plinth relies on:
//   - A copy whose state attribute is "ready" is read-only, and its content
//     and its manifest were durable (volume-store commits) before the state
//     was recorded, so a ready copy survives any crash exactly as it was
//     committed. The only change to a ready copy is Repair, which rewrites
//     one block with bytes that hash to the manifest (volstore.Rewrite,
//     copy-on-write and committed).
//   - A volume that is not ready belongs to one writer in one process.
//     After a crash it is garbage: Cleanup deletes it at start-up (with
//     its manifest volume and staged files), which frees its clusters, and
//     interrupted work starts again.
//   - Clusters that would hold only zeros are never allocated: writers
//     write whole, cluster-aligned windows and skip the source's holes.
package v2
