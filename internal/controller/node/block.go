package node

import (
	"fmt"

	"github.com/plinth-storage/plinth/internal/apitypes"
	v2 "github.com/plinth-storage/plinth/internal/engine/v2"
	"github.com/plinth-storage/plinth/internal/model"
)

// examineBlock opens (once) and reports a block disk. A damaged volume
// store is refused: the disk is not ready and its condition says why and
// how to inspect it.
func (c *Controller) examineBlock(name string, spec apitypes.DiskSpec, st model.DiskStatus) (model.DiskStatus, *DiskRef) {
	d, err := c.openBlock(spec)
	if err != nil {
		st.Message = fmt.Sprintf("block disk %s at %s is not usable: %v", name, spec.Path, err)
		return st, nil
	}
	return ready(name, spec, st, d)
}

func (c *Controller) openBlock(spec apitypes.DiskSpec) (*v2.Disk, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d := c.blocks[spec.Path]; d != nil {
		return d, nil
	}
	d, err := v2.OpenDisk(spec.Path, spec.Size, c.StageDir)
	if err != nil {
		return nil, err
	}
	if c.blocks == nil {
		c.blocks = map[string]*v2.Disk{}
	}
	c.blocks[spec.Path] = d
	return d, nil
}

// closeRemovedBlocks closes the block disks no longer in the node's spec.
func (c *Controller) closeRemovedBlocks(disks map[string]apitypes.DiskSpec) {
	inSpec := map[string]bool{}
	for _, s := range disks {
		if s.DiskType == apitypes.DiskTypeBlock {
			inSpec[s.Path] = true
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for path, d := range c.blocks {
		if !inSpec[path] {
			if err := d.Close(); err != nil {
				c.Log.Warn("close removed block disk", "path", path, "err", err)
			}
			delete(c.blocks, path)
		}
	}
}

// Close closes every open block disk (at shutdown).
func (c *Controller) Close() {
	c.closeRemovedBlocks(nil)
}
