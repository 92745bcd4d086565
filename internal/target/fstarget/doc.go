// Package fstarget holds the logic that the drivers of file-system-like
// targets (nfs, cifs) share: listing a directory tree with the temporary
// files of in-flight Puts hidden (List, Walk), and the durable Put protocol
// (a temporary file in the key's directory, written and made durable, then
// renamed over the key).
//
// A driver supplies the file-system primitives through the small
// interfaces DirReader and Writer and keeps what differs between protocols
// to itself: connections, retries, locking and error classification. The
// functions here return the primitives' errors as they are, so the driver's
// classifier sees its own error types.
package fstarget
