package engine

// DescribeBlocks names the blocks at offs as DamagedError does: "block 2
// (offset 4194304)" or "blocks 1 (offset 2097152), 2 (offset 4194304)",
// the first eight and a count of the rest.
func DescribeBlocks(offs []int64) string { return describeBlocks(offs) }
