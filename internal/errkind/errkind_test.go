package errkind

import (
	"errors"
	"fmt"
	"io"
	"testing"
)

func TestKindsSurviveWrapping(t *testing.T) {
	for _, tc := range []struct {
		err  error
		kind Kind
	}{
		{BadRequest("x"), KindBadRequest},
		{Invalid("x"), KindInvalid},
		{NotFound("x"), KindNotFound},
		{Conflict("x"), KindConflict},
		{Unavailable("x"), KindUnavailable},
		{InsufficientStorage("x"), KindInsufficientStorage},
		{TooLarge("x"), KindTooLarge},
		{Timeout("x"), KindTimeout},
		{UnsupportedMedia("x"), KindUnsupportedMedia},
		{fmt.Errorf("outer: %w", Conflict("dup")), KindConflict},
		{errors.New("plain"), KindInternal},
		{nil, KindInternal},
	} {
		if got := Of(tc.err); got != tc.kind {
			t.Errorf("Of(%v) = %v, want %v", tc.err, got, tc.kind)
		}
		if tc.err != nil && tc.kind != KindInternal && !errors.Is(tc.err, tc.kind) {
			t.Errorf("errors.Is(%v, %v) = false", tc.err, tc.kind)
		}
		if tc.err != nil && errors.Is(tc.err, KindUnavailable) != (tc.kind == KindUnavailable) {
			t.Errorf("errors.Is(%v, KindUnavailable) wrong", tc.err)
		}
	}
}

func TestCauseAndMessage(t *testing.T) {
	err := Unavailable("reaching etcd: %w", io.ErrUnexpectedEOF)
	if !errors.Is(err, io.ErrUnexpectedEOF) || err.Error() != "reaching etcd: unexpected EOF" {
		t.Errorf("cause or message lost: %v", err)
	}
	two := Conflict("a %w b %w", io.EOF, io.ErrClosedPipe)
	if !errors.Is(two, io.EOF) || !errors.Is(two, io.ErrClosedPipe) || Of(two) != KindConflict {
		t.Errorf("two causes: %v", two)
	}
	if e := NotFound("%s gone", "x"); errors.Unwrap(e) != nil || e.Error() != "x gone" {
		t.Errorf("no cause expected: %v", e)
	}
	var ke *Error
	if !errors.As(fmt.Errorf("w: %w", Invalid("bad")), &ke) || ke.Msg != "bad" {
		t.Errorf("errors.As: %+v", ke)
	}
	if KindNotFound.String() != "NotFound" || Kind(99).String() != "Kind(99)" {
		t.Errorf("names: %v %v", KindNotFound, Kind(99))
	}
}
