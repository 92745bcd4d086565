package syncbench

import (
	"context"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/target"
)

// baseBlocks is how many block refs a revision-0 cfg holds: the few refs of
// a small, mostly sparse image, so a cfg is a few hundred bytes as most
// real ones are. Each later revision adds one more ref, which makes every
// rewrite change the cfg's size as well as its time.
const baseBlocks = 4

// epoch is the CreatedTime of every generated backup, so a cfg's bytes
// depend only on its index and revision.
var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// Name is the backup name of the i-th generated backup.
func Name(i int) string { return fmt.Sprintf("bench-bi-%06d", i) }

// NewConfig returns the complete cfg of generated backup i at revision rev:
// baseBlocks+rev block refs of 2 MiB spread over an image of 64 blocks, a
// SHA-512 image checksum, lz4 compression and two labels, as plinth's own
// backups write them. The blocks need not exist in the pool.
func NewConfig(i, rev int) *format.Config {
	name := Name(i)
	c := &format.Config{
		Name:              name,
		Size:              64 * format.BlockSize,
		Checksum:          digest(name, -1, 128),
		CompressionMethod: format.CompressionLZ4,
		Labels: map[string]string{
			"plinth.io/source":   "download",
			"plinth.io/revision": strconv.Itoa(rev),
		},
		CreatedTime: format.FormatTime(epoch),
	}
	for b := range baseBlocks + rev {
		c.Blocks = append(c.Blocks, format.BlockRef{
			Offset:        int64(b%64) * format.BlockSize,
			BlockChecksum: digest(name, b, format.IDLength),
		})
	}
	c.MarkComplete(epoch.Add(time.Duration(i) * time.Second))
	return c
}

// digest is a deterministic hex string of n characters for (name, b).
func digest(name string, b, n int) string {
	sum := sha512.Sum512([]byte(name + "/" + strconv.Itoa(b)))
	return hex.EncodeToString(sum[:])[:n]
}

// PutConfigs writes the cfgs of the generated backups ids at revision rev
// to t, with conc Puts in flight. The first failure stops the rest and is
// returned.
func PutConfigs(ctx context.Context, t target.Target, ids []int, rev, conc int) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	next := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(conc, len(ids))) {
		wg.Go(func() {
			for i := range next {
				if err := putConfig(ctx, t, i, rev); err != nil {
					cancel(err)
				}
			}
		})
	}
feed:
	for _, i := range ids {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return context.Cause(ctx)
}

func putConfig(ctx context.Context, t target.Target, i, rev int) error {
	data, err := NewConfig(i, rev).Encode()
	if err != nil {
		return err
	}
	if err := t.Put(ctx, format.ConfigKey(Name(i)), data); err != nil {
		return fmt.Errorf("populate %s: %w", format.ConfigKey(Name(i)), err)
	}
	return nil
}

// Populate writes n complete cfgs (backups 0..n-1, revision 0) to t with
// conc Puts in flight.
func Populate(ctx context.Context, t target.Target, n, conc int) error {
	return PutConfigs(ctx, t, Range(0, n), 0, conc)
}

// Range returns the ids first..first+n-1.
func Range(first, n int) []int {
	ids := make([]int, n)
	for k := range ids {
		ids[k] = first + k
	}
	return ids
}
