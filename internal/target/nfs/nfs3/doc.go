// Package nfs3 is a small user-space NFSv3 client (RFC 1813) over ONC RPC
// on TCP (RFC 5531): the MOUNT and portmapper calls needed to obtain an
// export's root handle, and the NFS procedures a backup store needs
// (LOOKUP, GETATTR, READ, WRITE, COMMIT, CREATE, MKDIR, REMOVE, RENAME,
// READDIRPLUS, FSINFO).
//
// It exists instead of a third-party client so that every call honours a
// context, a dead server fails calls promptly instead of retrying
// internally, and one connection carries many concurrent calls. It keeps no
// caches and no background work beyond one reader goroutine per connection.
package nfs3
