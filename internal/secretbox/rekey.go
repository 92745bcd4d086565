package secretbox

import (
	"context"
	"fmt"
)

// maxPasses bounds how often Rekey reseals while writers race with it.
const maxPasses = 5

// Rekey moves every value to a new key and forgets the old ones. It
//
//  1. adds a new random key to the file as primary, keeping the old ones
//     (the file is written before any value is sealed under the new key);
//  2. calls reseal, which must rewrite every stored value that Stale
//     reports (compare-and-swap, so concurrent writers are not lost), and
//     calls it again until a pass rewrites nothing;
//  3. rewrites the file with the new key only.
//
// A crash or error anywhere leaves every key that sealed a stored value in
// the file, so everything still opens; running Rekey again finishes the
// job. It returns how many values were rewritten. Concurrent Rekey calls
// run one after the other.
func (r *Keyring) Rekey(ctx context.Context, reseal func(context.Context) (int, error)) (int, error) {
	r.rotate.Lock()
	defer r.rotate.Unlock()
	if err := r.addPrimary(); err != nil {
		return 0, err
	}
	total := 0
	for pass := 0; ; pass++ {
		if pass == maxPasses {
			return total, fmt.Errorf("rekey: values were still being written under old keys after %d passes; the old keys stay in %s, run rekey again", maxPasses, r.path)
		}
		n, err := reseal(ctx)
		total += n
		if err != nil {
			return total, fmt.Errorf("rekey: %w (the old keys stay in %s, so every value still opens; run rekey again)", err, r.path)
		}
		if n == 0 {
			break
		}
	}
	if err := r.dropOld(); err != nil {
		return total, err
	}
	return total, nil
}

func (r *Keyring) addPrimary() error {
	k, err := newKey()
	if err != nil {
		return err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := append([]key{k}, r.keys...)
	if err := r.save(keys); err != nil {
		return fmt.Errorf("rekey: add a new key to %s: %w", r.path, err)
	}
	r.keys = keys
	return nil
}

func (r *Keyring) dropOld() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := r.keys[:1:1]
	if err := r.save(keys); err != nil {
		return fmt.Errorf("rekey: every value is under the new key, but removing the old keys from %s failed: %w", r.path, err)
	}
	r.keys = keys
	return nil
}
