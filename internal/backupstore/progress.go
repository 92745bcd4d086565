package backupstore

import "sync"

// Progress is a snapshot of a long operation.
type Progress struct {
	Done    int64 // image bytes processed
	Total   int64 // image size
	Percent int   // 0-100; 100 only once the operation has committed
}

// ProgressFunc receives progress. Calls are serialised, made whenever the
// percentage changes; the function must return quickly. nil is allowed.
type ProgressFunc func(Progress)

// progressMeter turns byte counts from many goroutines into ProgressFunc
// calls.
type progressMeter struct {
	mu    sync.Mutex
	fn    ProgressFunc
	done  int64
	total int64
	last  int
}

func newProgressMeter(total int64, fn ProgressFunc) *progressMeter {
	return &progressMeter{fn: fn, total: total, last: -1}
}

// add counts n more bytes; the percentage stays below 100 until finish.
func (p *progressMeter) add(n int64) {
	if p.fn == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	pct := 99
	if p.total > 0 {
		pct = min(99, int(p.done*100/p.total))
	}
	if pct != p.last {
		p.last = pct
		p.fn(Progress{Done: p.done, Total: p.total, Percent: pct})
	}
}

// finish reports 100 %.
func (p *progressMeter) finish() {
	if p.fn == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done, p.last = p.total, 100
	p.fn(Progress{Done: p.total, Total: p.total, Percent: 100})
}
