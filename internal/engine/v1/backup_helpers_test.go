package v1

import (
	"context"
	"sync"

	"github.com/plinth-storage/plinth/internal/engine"
	"github.com/plinth-storage/plinth/internal/imagefmt"
)

// memBackup is an engine.BackupReader over an image in memory, as the
// backup store's restore behaves: it sizes the sink, writes the non-zero
// blocks by positioned writes from several goroutines in reverse order,
// syncs, and reports the checksum and manifest it was given.
type memBackup struct {
	data     []byte
	checksum string
	manifest *engine.Manifest
	fail     error // returned after writing, when set
}

func (b *memBackup) Restore(ctx context.Context, sink engine.Sink, progress func(done, total int64)) (engine.Restored, error) {
	size := int64(len(b.data))
	if err := sink.Prepare(size); err != nil {
		return engine.Restored{}, err
	}
	var wg sync.WaitGroup
	errs := make(chan error, engine.NumBlocks(size))
	for i := engine.NumBlocks(size) - 1; i >= 0; i-- {
		block := b.data[int64(i)*engine.BlockSize:][:engine.BlockLen(i, size)]
		if engine.AllZero(block) {
			continue
		}
		wg.Go(func() {
			if _, err := sink.WriteAt(block, int64(i)*engine.BlockSize); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return engine.Restored{}, err
	}
	if progress != nil {
		progress(size, size)
	}
	if err := sink.Sync(); err != nil {
		return engine.Restored{}, err
	}
	if b.fail != nil {
		return engine.Restored{}, b.fail
	}
	return engine.Restored{Checksum: b.checksum, Manifest: b.manifest}, nil
}

func (b *memBackup) Format(context.Context) (imagefmt.Format, error) {
	if len(b.data) >= 4 && string(b.data[:4]) == "QFI\xfb" {
		return imagefmt.Qcow2, nil
	}
	return imagefmt.Raw, nil
}
