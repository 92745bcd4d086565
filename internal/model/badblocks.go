package model

import "time"

// KindBadBlocks is the etcd kind of BadBlocks records, one per target.
const KindBadBlocks = "badblocks"

// BadBlocks remembers the blocks of one backup target's pool that a verify
// found missing or corrupt: backups upload them again instead of reusing
// them, and a repair or a re-upload removes them. Named after the target.
type BadBlocks struct {
	Target    string    `json:"target"`
	IDs       []string  `json:"ids"`
	UpdatedAt time.Time `json:"updatedAt"`
}
