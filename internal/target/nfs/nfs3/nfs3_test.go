package nfs3

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"net"
	"testing"
	"time"
)

func TestXDRRoundTrip(t *testing.T) {
	var e encoder
	e.u32(7)
	e.u64(1 << 40)
	e.bool(true)
	e.opaque([]byte{1, 2, 3})
	e.str("hello")
	e.fixed([]byte{9, 9, 9, 9, 9, 9, 9, 9})
	if len(e.b)%4 != 0 {
		t.Fatalf("encoding is %d bytes, not a multiple of 4", len(e.b))
	}
	d := &decoder{b: e.b}
	if d.u32() != 7 || d.u64() != 1<<40 || !d.bool() || !bytes.Equal(d.opaque(), []byte{1, 2, 3}) ||
		d.str() != "hello" || !bytes.Equal(d.fixed(8), bytes.Repeat([]byte{9}, 8)) || d.err != nil {
		t.Fatalf("decoded values differ (err %v)", d.err)
	}
	d.u32()
	if !errors.Is(d.err, errShort) {
		t.Fatalf("reading past the end: err %v, want errShort", d.err)
	}
	bad := &decoder{b: []byte{0xff, 0xff, 0xff, 0xff}}
	if bad.opaque(); bad.err == nil {
		t.Fatal("an opaque longer than the reply was accepted")
	}
}

func TestReadRecordFragments(t *testing.T) {
	var stream []byte
	stream = binary.BigEndian.AppendUint32(stream, 3)
	stream = append(stream, 'a', 'b', 'c')
	stream = binary.BigEndian.AppendUint32(stream, 2|0x80000000)
	stream = append(stream, 'd', 'e')
	rec, err := readRecord(bytes.NewReader(stream))
	if err != nil || string(rec) != "abcde" {
		t.Fatalf("readRecord = %q, %v", rec, err)
	}
}

// fakeServer accepts one connection and answers each call with reply(xid),
// or not at all when reply returns nil.
func fakeServer(t *testing.T, reply func(xid uint32) []byte) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		c, err := l.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		for {
			rec, err := readRecord(c)
			if err != nil {
				return
			}
			out := reply(binary.BigEndian.Uint32(rec))
			if out == nil {
				continue
			}
			msg := binary.BigEndian.AppendUint32(nil, uint32(len(out))|0x80000000)
			if _, err := c.Write(append(msg, out...)); err != nil {
				return
			}
		}
	}()
	return l.Addr().String()
}

func acceptedReply(xid uint32, results ...uint32) []byte {
	var e encoder
	for _, v := range []uint32{xid, 1, 0, 0, 0, 0} { // reply, accepted, null verifier, success
		e.u32(v)
	}
	for _, v := range results {
		e.u32(v)
	}
	return e.b
}

func TestCallReplyAndStatus(t *testing.T) {
	addr := fakeServer(t, func(xid uint32) []byte { return acceptedReply(xid, uint32(ErrStale)) })
	c, err := Dial(t.Context(), addr, Cred{Machine: "test"}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, err = c.Getattr(t.Context(), []byte{1, 2, 3, 4})
	if !errors.Is(err, ErrStale) {
		t.Fatalf("Getattr = %v, want ErrStale", err)
	}
}

func TestCallCanceledKeepsConnection(t *testing.T) {
	calls := 0
	addr := fakeServer(t, func(xid uint32) []byte {
		calls++
		if calls == 1 {
			return nil // never answer the first call
		}
		return acceptedReply(xid, 0)
	})
	c, err := Dial(t.Context(), addr, Cred{}, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.call(ctx, progNFS, 3, 0, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("unanswered call = %v, want the ctx deadline", err)
	}
	if _, err := c.call(t.Context(), progNFS, 3, 0, nil); err != nil {
		t.Fatalf("call after a canceled one: %v", err)
	}
}

func TestCallBrokenConnection(t *testing.T) {
	addr := fakeServer(t, func(xid uint32) []byte { return nil })
	c, err := Dial(t.Context(), addr, Cred{}, 200*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	var ce *ConnError
	if _, err := c.call(t.Context(), progNFS, 3, 0, nil); !errors.As(err, &ce) {
		t.Fatalf("call past the call timeout = %v, want a *ConnError", err)
	}
	if c.Err() == nil {
		t.Fatal("the connection is not marked broken after a timeout")
	}
	if _, err := c.call(t.Context(), progNFS, 3, 0, nil); !errors.As(err, &ce) {
		t.Fatalf("call on a broken connection = %v, want a *ConnError", err)
	}
}

func TestParseReplyRejections(t *testing.T) {
	var denied encoder
	for _, v := range []uint32{1, 1, 1, 1, 5} { // xid, reply, denied, AUTH_ERROR, too weak
		denied.u32(v)
	}
	var re *RPCError
	if _, err := parseReply(denied.b); !errors.As(err, &re) || !re.Auth {
		t.Fatalf("AUTH_ERROR reply = %v, want an auth RPCError", err)
	}
	var unavail encoder
	for _, v := range []uint32{1, 1, 0, 0, 0, 1} { // accepted, PROG_UNAVAIL
		unavail.u32(v)
	}
	if _, err := parseReply(unavail.b); !errors.As(err, &re) || re.Auth {
		t.Fatalf("PROG_UNAVAIL reply = %v, want a non-auth RPCError", err)
	}
}
