package cifs

import (
	"hash/fnv"
	"sync"
)

// SMB servers refuse to rename over, or delete, a file another open holds
// without delete sharing, and go-smb2 opens files for reading without it.
// So within this process a Get holds its key's stripe shared while the
// file is open, and the rename of a Put or the removal of a Delete holds
// it exclusively: in-process readers and writers never collide. Other
// clients of the share can still collide; Put and Get retry those
// sharing violations briefly.
var keyStripes [256]sync.RWMutex

// keyLock returns the stripe guarding one file of one share.
func keyLock(addr, share, remote string) *sync.RWMutex {
	h := fnv.New32a()
	h.Write([]byte(addr))
	h.Write([]byte{0})
	h.Write([]byte(share))
	h.Write([]byte{0})
	h.Write([]byte(remote))
	return &keyStripes[h.Sum32()%uint32(len(keyStripes))]
}
