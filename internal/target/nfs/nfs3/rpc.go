package nfs3

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// maxRecord bounds one RPC reply so a corrupt stream cannot make the
// reader allocate without limit; READ and READDIRPLUS replies are capped
// far below it by the counts plinth asks for.
const maxRecord = 64 << 20

// ConnError reports that the TCP connection to an RPC server could not be
// made, broke, or stopped answering. It is always worth retrying on a new
// connection.
type ConnError struct {
	Addr string
	Err  error
}

func (e *ConnError) Error() string { return fmt.Sprintf("connection to %s: %v", e.Addr, e.Err) }
func (e *ConnError) Unwrap() error { return e.Err }

// RPCError is an ONC RPC level rejection (RFC 5531): the server does not run
// the program or version, or it refused the credentials.
type RPCError struct {
	Auth bool // true for AUTH_ERROR (credentials refused)
	Msg  string
}

func (e *RPCError) Error() string { return "rpc: " + e.Msg }

// Conn is one ONC RPC client connection over TCP. Calls are pipelined: any
// number of goroutines may call at once, each waits only for its own reply.
// Once broken (a read or write failure, or a call that timed out) a Conn
// stays broken: every pending and later call fails with a *ConnError and
// the owner dials a new one.
type Conn struct {
	addr    string
	nc      net.Conn
	cred    []byte // encoded opaque_auth of the credential
	timeout time.Duration

	wmu     sync.Mutex // serialises record writes
	mu      sync.Mutex
	pending map[uint32]chan []byte
	err     error
	done    chan struct{}
	xid     atomic.Uint32
}

// Dial connects to an RPC server at addr ("host:port"). cred is the
// credential sent with every call; timeout bounds each call whose ctx has
// no earlier deadline, after which the connection is declared dead.
func Dial(ctx context.Context, addr string, cred Cred, timeout time.Duration) (*Conn, error) {
	nc, err := dialTCP(ctx, addr)
	if err != nil {
		return nil, &ConnError{Addr: addr, Err: err}
	}
	c := &Conn{
		addr:    addr,
		nc:      nc,
		cred:    cred.encode(),
		timeout: timeout,
		pending: make(map[uint32]chan []byte),
		done:    make(chan struct{}),
	}
	c.xid.Store(uint32(time.Now().UnixNano()))
	go c.readLoop()
	return c, nil
}

// Err returns the reason the connection broke, or nil while it is usable.
func (c *Conn) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close breaks the connection; pending calls fail.
func (c *Conn) Close() error {
	c.fail(errors.New("connection closed by the client"))
	return nil
}

func (c *Conn) fail(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil {
		return
	}
	c.err = &ConnError{Addr: c.addr, Err: err}
	c.nc.Close()
	close(c.done)
}

func (c *Conn) readLoop() {
	r := bufio.NewReaderSize(c.nc, 256<<10)
	for {
		rec, err := readRecord(r)
		if err != nil {
			c.fail(fmt.Errorf("reading reply: %w", err))
			return
		}
		if len(rec) < 4 {
			c.fail(errors.New("reply shorter than its transaction id"))
			return
		}
		xid := binary.BigEndian.Uint32(rec)
		c.mu.Lock()
		ch := c.pending[xid]
		delete(c.pending, xid)
		c.mu.Unlock()
		if ch != nil {
			ch <- rec // buffered: never blocks
		}
	}
}

// readRecord reads one record-marked message (RFC 5531 §11), joining its
// fragments.
func readRecord(r io.Reader) ([]byte, error) {
	var rec []byte
	for {
		var hdr [4]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return nil, err
		}
		h := binary.BigEndian.Uint32(hdr[:])
		n := int(h & 0x7fffffff)
		if len(rec)+n > maxRecord {
			return nil, fmt.Errorf("reply record of more than %d bytes", maxRecord)
		}
		start := len(rec)
		rec = append(rec, make([]byte, n)...)
		if _, err := io.ReadFull(r, rec[start:]); err != nil {
			return nil, err
		}
		if h&0x80000000 != 0 {
			return rec, nil
		}
	}
}
