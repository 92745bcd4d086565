package file

import (
	"fmt"
	"io/fs"
	"syscall"
	"testing"

	"github.com/plinth-storage/plinth/internal/target"
)

func TestClassify(t *testing.T) {
	cases := []struct {
		op   string
		err  error
		want target.Kind
	}{
		{target.OpGet, syscall.ENOENT, target.KindNotFound},
		{target.OpStat, syscall.ENOTDIR, target.KindNotFound},
		{target.OpPut, syscall.ENOTDIR, target.KindPermanent},
		{target.OpPut, syscall.ENOENT, target.KindTransient},
		{target.OpPut, syscall.EACCES, target.KindPermanent},
		{target.OpPut, syscall.EROFS, target.KindPermanent},
		{target.OpPut, syscall.ENOSPC, target.KindPermanent},
		{target.OpGet, syscall.EIO, target.KindTransient},
		{target.OpGet, syscall.ESTALE, target.KindTransient},
	}
	for _, c := range cases {
		err := classify(c.op, "k", &fs.PathError{Op: "open", Path: "/x/k", Err: c.err})
		if got := target.KindOf(err); got != c.want {
			t.Errorf("classify(%s, %v) = %v, want %v", c.op, c.err, got, c.want)
		}
		wrapped := classify(c.op, "k", fmt.Errorf("context: %w", c.err))
		if got := target.KindOf(wrapped); got != c.want {
			t.Errorf("classify(%s, wrapped %v) = %v, want %v", c.op, c.err, got, c.want)
		}
	}
}
