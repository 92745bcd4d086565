package faultsuite

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/plinth-storage/plinth/internal/backupstore/format"
	"github.com/plinth-storage/plinth/internal/target"
	"github.com/plinth-storage/plinth/internal/target/faulty"
)

// injection is one fault injected during one stage. Every call the stage
// makes on the target passes through decide (a faulty.Rule's Match), which
// counts calls and chooses the ones that fail, until lift is called.
type injection struct {
	ctx context.Context // the stage's context: a stall lasts until it ends
	mid int             // 1-based index of the call where mid-operation faults begin
	// dataMid is mid for faults that see only data calls (not lock files).
	dataMid int
	// writes is true when the stage writes data after taking its lock.
	writes bool
	lifted atomic.Bool
	calls  atomic.Int64 // calls seen while not lifted
	hits   atomic.Int64 // calls that failed (or were delayed, for slow)

	mu    sync.Mutex
	start time.Time // when a timed window began
}

// lift ends the fault: every later call passes through untouched.
func (in *injection) lift() { in.lifted.Store(true) }

// next counts a call and returns its 1-based index, or 0 once lifted.
func (in *injection) next() int {
	if in.lifted.Load() {
		return 0
	}
	return int(in.calls.Add(1))
}

// hit records an injected fault and returns true, for use in Match.
func (in *injection) hit() bool { in.hits.Add(1); return true }

// inWindow reports whether call n falls in a window of d that opens at
// call in.mid.
func (in *injection) inWindow(n int, d time.Duration) bool {
	if n < in.mid {
		return false
	}
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.start.IsZero() {
		in.start = time.Now()
	}
	return time.Since(in.start) < d
}

// fault is one kind of failure the suite injects.
type fault struct {
	name string
	// what says, for docs/reliability.md, how the fault is injected.
	what string
	// rule builds the faulty.Rule that injects the fault through in.
	rule func(in *injection) faulty.Rule
	// stageTimeout, if set, bounds the stage's first attempt (a stall lasts
	// until it ends).
	stageTimeout time.Duration
}

var (
	errRefused = syscall.ECONNREFUSED
	errReset   = syscall.ECONNRESET
	err503     = errors.New("api error SlowDown: 503 Service Unavailable, please reduce your request rate")
	errFull    = syscall.ENOSPC
)

// shortOutage is shorter than the retry decorator's budget (5 attempts,
// backoff 200 ms doubling: at least 700 ms before the fourth attempt).
const shortOutage = 500 * time.Millisecond

// stallTimeout bounds a stage whose call stalls.
const stallTimeout = 1500 * time.Millisecond

func isLockKey(key string) bool { return strings.HasPrefix(key, format.LockDir) }

var faults = []fault{
	{
		name: "refused",
		what: "connection refused (transient) on every call for 500 ms, starting mid-operation: a server restart shorter than the retry budget",
		rule: func(in *injection) faulty.Rule {
			return faulty.Rule{Kind: target.KindTransient, Err: errRefused, Match: func(string, string) bool {
				n := in.next()
				return n > 0 && in.inWindow(n, shortOutage) && in.hit()
			}}
		},
	},
	{
		name: "5xx",
		what: "a 503 SlowDown-like transient error on every third call, at most 5",
		rule: func(in *injection) faulty.Rule {
			return faulty.Rule{Kind: target.KindTransient, Err: err503, Match: func(string, string) bool {
				n := in.next()
				return n > 0 && n%3 == 0 && in.hits.Load() < 5 && in.hit()
			}}
		},
	},
	{
		name: "reset",
		what: "connection reset (transient) on every fourth call from the first, at most 5; a listing is cut after its first entry",
		rule: func(in *injection) faulty.Rule {
			return faulty.Rule{Kind: target.KindTransient, Err: errReset, Entries: 1, Match: func(string, string) bool {
				n := in.next()
				return n > 0 && n%4 == 1 && in.hits.Load() < 5 && in.hit()
			}}
		},
	},
	{
		name: "stall",
		what: "one data call (not a lock file) mid-operation hangs until the operation's 1.5 s deadline ends",
		rule: func(in *injection) faulty.Rule {
			var fired atomic.Bool
			return faulty.Rule{Kind: target.KindPermanent, Err: context.DeadlineExceeded, Match: func(_, key string) bool {
				if isLockKey(key) {
					return false
				}
				n := in.next()
				if n < in.dataMid || in.ctx.Err() != nil || !fired.CompareAndSwap(false, true) {
					return false
				}
				<-in.ctx.Done()
				return in.hit()
			}}
		},
		stageTimeout: stallTimeout,
	},
	{
		name: "slow",
		what: "every call is delayed by 25 ms",
		rule: func(in *injection) faulty.Rule {
			return faulty.Rule{Match: func(string, string) bool {
				if in.next() > 0 {
					in.hits.Add(1)
					time.Sleep(25 * time.Millisecond)
				}
				return false
			}}
		},
	},
	{
		name: "full",
		what: "every Put fails permanently with ENOSPC (a full disk, an S3 quota) until the operation returns: from mid-upload for a backup, from the lock file for the others",
		rule: func(in *injection) faulty.Rule {
			from := 1
			if in.writes {
				from = in.mid
			}
			return faulty.Rule{Ops: []string{target.OpPut}, Kind: target.KindPermanent, Err: errFull, Match: func(string, string) bool {
				n := in.next()
				return n > 0 && n >= from && in.hit()
			}}
		},
	},
	{
		name: "landed",
		what: "every second data call (not a lock file) is performed and then reports a reset, at most 3: the ambiguous \"did my write land?\"",
		rule: func(in *injection) faulty.Rule {
			return faulty.Rule{Kind: target.KindTransient, Err: errReset, After: true, Match: func(_, key string) bool {
				if isLockKey(key) {
					return false
				}
				n := in.next()
				return n > 0 && n%2 == 0 && in.hits.Load() < 3 && in.hit()
			}}
		},
	},
	{
		name: "landed-lock",
		what: "the first lock-file write lands and then fails with a timeout (not retried): the request ended as the server stored the file",
		rule: func(in *injection) faulty.Rule {
			var fired atomic.Bool
			return faulty.Rule{Ops: []string{target.OpPut}, Kind: target.KindPermanent, Err: context.DeadlineExceeded, After: true,
				Match: func(_, key string) bool {
					return isLockKey(key) && in.next() > 0 && fired.CompareAndSwap(false, true) && in.hit()
				}}
		},
	},
	{
		name: "down",
		what: "connection refused on every call from mid-operation until the operation gives up (longer than the retry budget); then the server is back and the operation is run again",
		rule: func(in *injection) faulty.Rule {
			return faulty.Rule{Kind: target.KindTransient, Err: errRefused, Match: func(string, string) bool {
				n := in.next()
				return n > 0 && n >= in.mid && in.hit()
			}}
		},
	},
}
