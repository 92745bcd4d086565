package nfs3

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// errCallTimeout breaks a connection whose server stopped answering.
var errCallTimeout = errors.New("no reply within the call timeout")

// call sends one RPC call with the encoded arguments and returns a decoder
// positioned at the procedure's results. When ctx ends first the call
// returns ctx's error and the connection stays usable (a late reply is
// dropped); when the call timeout passes the connection is broken.
func (c *Conn) call(ctx context.Context, prog, vers, proc uint32, args []byte) (*decoder, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	xid := c.xid.Add(1)
	ch := make(chan []byte, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return nil, err
	}
	c.pending[xid] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, xid)
		c.mu.Unlock()
	}()

	if err := c.send(xid, prog, vers, proc, args); err != nil {
		return nil, err
	}
	timer := time.NewTimer(c.timeout)
	defer timer.Stop()
	select {
	case rec := <-ch:
		return parseReply(rec)
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.done:
		return nil, c.Err()
	case <-timer.C:
		c.fail(errCallTimeout)
		return nil, c.Err()
	}
}

// send writes the call header, credential and arguments as one record.
func (c *Conn) send(xid, prog, vers, proc uint32, args []byte) error {
	e := encoder{b: make([]byte, 4, 64+len(c.cred)+len(args))}
	e.u32(xid)
	e.u32(0) // CALL
	e.u32(2) // RPC version
	e.u32(prog)
	e.u32(vers)
	e.u32(proc)
	e.b = append(e.b, c.cred...)
	e.u32(0) // verifier: AUTH_NONE
	e.u32(0)
	e.b = append(e.b, args...)
	binary.BigEndian.PutUint32(e.b, uint32(len(e.b)-4)|0x80000000)

	c.wmu.Lock()
	defer c.wmu.Unlock()
	if err := c.Err(); err != nil {
		return err
	}
	c.nc.SetWriteDeadline(time.Now().Add(c.timeout))
	if _, err := c.nc.Write(e.b); err != nil {
		c.fail(fmt.Errorf("sending call: %w", err))
		return c.Err()
	}
	return nil
}

// parseReply checks the RPC reply header and returns a decoder at the
// results.
func parseReply(rec []byte) (*decoder, error) {
	d := &decoder{b: rec}
	d.u32() // xid
	if d.u32() != 1 {
		return nil, errors.New("rpc: message is not a reply")
	}
	switch d.u32() {
	case 0: // MSG_ACCEPTED
		d.u32()    // verifier flavor
		d.opaque() // verifier body
		stat := d.u32()
		if d.err != nil {
			return nil, d.err
		}
		if stat != 0 {
			return nil, &RPCError{Msg: acceptStatText(stat)}
		}
		return d, nil
	case 1: // MSG_DENIED
		if d.u32() == 1 {
			return nil, &RPCError{Auth: true, Msg: fmt.Sprintf("credentials refused by the server (auth_stat %d)", d.u32())}
		}
		return nil, &RPCError{Msg: "RPC version mismatch"}
	default:
		return nil, errors.New("rpc: malformed reply status")
	}
}

func acceptStatText(stat uint32) string {
	switch stat {
	case 1:
		return "program unavailable on this port (PROG_UNAVAIL)"
	case 2:
		return "program version not supported (PROG_MISMATCH)"
	case 3:
		return "procedure unavailable (PROC_UNAVAIL)"
	case 4:
		return "server could not decode the arguments (GARBAGE_ARGS)"
	case 5:
		return "server system error (SYSTEM_ERR)"
	default:
		return fmt.Sprintf("unknown accept status %d", stat)
	}
}
