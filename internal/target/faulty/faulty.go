// Package faulty wraps a target.Target and injects failures chosen by rules,
// for tests of the layers above: make every List fail, fail the third Put
// under a prefix, hand back corrupted bytes from Get, report an error after a
// Put actually stored its object, or cut a listing short.
package faulty

import (
	"errors"
	"slices"
	"strings"
	"sync"

	"github.com/plinth-storage/plinth/internal/target"
)

var _ target.Target = (*Target)(nil)

// ErrInjected is the default cause of injected errors.
var ErrInjected = errors.New("injected fault")

// Rule selects calls and says how they fail. A call matches when its op is in
// Ops (empty: any op), its key or dir starts with Prefix, and Match (if set)
// returns true. The first matching rule with attempts left applies.
type Rule struct {
	Ops    []string // target.OpPut, target.OpGet, ...; empty matches every op
	Prefix string   // key or dir prefix; "" matches every key
	// Match, if set, must also return true for the call to match. It runs
	// without the wrapper's lock held, so it may block or record calls.
	Match func(op, key string) bool

	// Times is how many matching calls fail; 0 means every one.
	Times int
	// Kind and Err make the returned *target.Error; Err defaults to ErrInjected.
	Kind target.Kind
	Err  error

	// After performs the call on the wrapped target first and then returns
	// the error anyway: the ambiguous "did my write land?" failure.
	After bool
	// Entries, for List and Walk, passes this many entries through to fn
	// before failing: a listing that breaks part way.
	Entries int
	// Corrupt, for Get, returns Corrupt(data) with a nil error instead of
	// failing; data is a copy the function may modify.
	Corrupt func(data []byte) []byte
}

// Target is a fault-injecting wrapper; rules may be added while it is in use.
type Target struct {
	inner target.Target

	mu    sync.Mutex
	rules []*rule
	calls map[string]int
}

type rule struct {
	Rule
	left int // remaining failures when Times > 0
}

// Wrap returns a wrapper that passes every call to t until rules are added.
func Wrap(t target.Target) *Target {
	return &Target{inner: t, calls: make(map[string]int)}
}

// Unwrap returns the wrapped target.
func (f *Target) Unwrap() target.Target { return f.inner }

// Add installs a rule after the existing ones.
func (f *Target) Add(r Rule) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = append(f.rules, &rule{Rule: r, left: r.Times})
}

// FailOp is shorthand for a rule that fails every call of op with kind.
func (f *Target) FailOp(op string, kind target.Kind) {
	f.Add(Rule{Ops: []string{op}, Kind: kind})
}

// Reset removes every rule and zeroes the call counts.
func (f *Target) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rules = nil
	f.calls = make(map[string]int)
}

// Calls returns how many calls of op the wrapper has seen, failed or not.
func (f *Target) Calls(op string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

// pick counts the call and returns the rule that applies to it, if any,
// using up one of its attempts. Match runs without the lock held, so a
// predicate may block (to hold a call inside the wrapper) without stalling
// other calls.
func (f *Target) pick(op, key string) *Rule {
	f.mu.Lock()
	f.calls[op]++
	rules := slices.Clone(f.rules)
	f.mu.Unlock()
	for _, r := range rules {
		if len(r.Ops) > 0 && !slices.Contains(r.Ops, op) {
			continue
		}
		if !strings.HasPrefix(key, r.Prefix) || (r.Match != nil && !r.Match(op, key)) {
			continue
		}
		if r.Times > 0 && !f.take(r) {
			continue
		}
		picked := r.Rule
		return &picked
	}
	return nil
}

// take uses up one of a counted rule's failures, if any are left.
func (f *Target) take(r *rule) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.left == 0 {
		return false
	}
	r.left--
	return true
}

func (r *Rule) error(op, key string) error {
	cause := r.Err
	if cause == nil {
		cause = ErrInjected
	}
	return target.NewError(op, key, r.Kind, cause)
}
