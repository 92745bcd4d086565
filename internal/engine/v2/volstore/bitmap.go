package volstore

import "math/bits"

// bitmap is a fixed-size set of data cluster indexes (0 is the first data
// cluster, not physical cluster 0).
type bitmap []uint64

func bitmapWords(n uint64) uint64 { return (n + 63) / 64 }

func newBitmap(n uint64) bitmap { return make(bitmap, bitmapWords(n)) }

func (b bitmap) get(i uint64) bool { return b[i/64]&(1<<(i%64)) != 0 }
func (b bitmap) set(i uint64)      { b[i/64] |= 1 << (i % 64) }
func (b bitmap) clear(i uint64)    { b[i/64] &^= 1 << (i % 64) }

// count returns the number of members.
func (b bitmap) count() uint64 {
	var n int
	for _, w := range b {
		n += bits.OnesCount64(w)
	}
	return uint64(n)
}

// or adds every member of o.
func (b bitmap) or(o bitmap) {
	for i := range b {
		b[i] |= o[i]
	}
}

// countUnion returns the number of indexes below n that are in a or b.
func countUnion(a, b bitmap) uint64 {
	var n int
	for i := range a {
		n += bits.OnesCount64(a[i] | b[i])
	}
	return uint64(n)
}

// firstClear returns the lowest index in [from, n) that is in neither a nor
// b, wrapping around to search [0, from) next; ok is false if every index
// below n is taken.
func firstClear(a, b bitmap, from, n uint64) (idx uint64, ok bool) {
	if idx, ok = scanClear(a, b, from, n); ok {
		return idx, true
	}
	return scanClear(a, b, 0, min(from, n))
}

func scanClear(a, b bitmap, from, to uint64) (uint64, bool) {
	for i := from; i < to; {
		w := i / 64
		taken := (a[w] | b[w]) | (1<<(i%64) - 1) // ignore bits below i
		if taken != ^uint64(0) {
			idx := w*64 + uint64(bits.TrailingZeros64(^taken))
			return idx, idx < to
		}
		i = (w + 1) * 64
	}
	return 0, false
}
