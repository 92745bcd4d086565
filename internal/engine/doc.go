// Package engine is the contract both data engines keep: what a disk that
// holds copies of backing images offers the controllers (Disk), how a copy
// is named (CopyID), read (CopyReader) and filled (Filler, Sink), the block
// manifest every copy carries (Manifest), and the errors callers branch on.
//
// Data engine v1 (sparse files on filesystem disks, package engine/v1) and
// data engine v2 (thin volumes on block disks, package engine/v2) each
// implement Disk, asserted at compile time. Controllers hold an engine.Disk
// and never ask which engine is behind it. Neither engine imports the other
// or the backup store; the backup store imports this package for Source,
// Sink and Extent.
//
// The manifest is what makes "hash each byte once" possible: a copy is
// immutable, so the SHA-512 block IDs computed while it was written stay
// true until the disk rots. Backups read IDs from it instead of re-hashing
// the copy; restores hand the engine the backup's block list as the new
// copy's manifest; a scrub re-hashes against it at a bounded rate to find
// rot, and Repair rewrites a damaged block from verified bytes.
package engine
