package fstarget

import (
	"context"
	"slices"
	"strings"
	"sync"
	"time"
)

// memFS is an in-memory file system for testing List, Walk and Put: keys
// of directories and files, and a log of the Writer calls made.
type memFS struct {
	mu    sync.Mutex
	dirs  map[string]bool
	files map[string][]byte
	calls []string

	failCreate, failWrite, failRename error
	removeCtxErr                      error // ctx.Err() that Remove saw
}

var (
	_ DirReader              = (*memFS)(nil)
	_ Writer[string, string] = (*memFS)(nil)
)

func newMemFS(files ...string) *memFS {
	m := &memFS{dirs: map[string]bool{"": true}, files: map[string][]byte{}}
	for _, f := range files {
		m.files[f] = []byte(f)
		for i := strings.LastIndexByte(f, '/'); i > 0; i = strings.LastIndexByte(f[:i], '/') {
			m.dirs[f[:i]] = true
		}
	}
	return m
}

func join(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// ReadDir reports ".", "..", then the children of dir in sorted order.
func (m *memFS) ReadDir(ctx context.Context, dir string, fn func(DirEntry) error) error {
	m.mu.Lock()
	if !m.dirs[dir] {
		m.mu.Unlock()
		return nil
	}
	entries := []DirEntry{{Name: ".", IsDir: true}, {Name: "..", IsDir: true}}
	for d := range m.dirs {
		if d != "" && parent(d) == dir {
			entries = append(entries, DirEntry{Name: d[strings.LastIndexByte(d, '/')+1:], IsDir: true, ModTime: time.Unix(1, 0)})
		}
	}
	for f, data := range m.files {
		if parent(f) == dir {
			entries = append(entries, DirEntry{Name: f[strings.LastIndexByte(f, '/')+1:], Size: int64(len(data)), ModTime: time.Unix(2, 0)})
		}
	}
	m.mu.Unlock()
	slices.SortFunc(entries, func(a, b DirEntry) int { return strings.Compare(a.Name, b.Name) })
	for _, e := range entries {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

func parent(key string) string {
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		return key[:i]
	}
	return ""
}

func (m *memFS) log(call string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls = append(m.calls, call)
}

func (m *memFS) MkdirAll(ctx context.Context, dir string) (string, error) {
	m.log("mkdir " + dir)
	m.mu.Lock()
	defer m.mu.Unlock()
	for d := dir; d != ""; d = parent(d) {
		m.dirs[d] = true
	}
	return dir, nil
}

func (m *memFS) Create(ctx context.Context, dir, name string) (string, error) {
	m.log("create " + join(dir, name))
	if m.failCreate != nil {
		return "", m.failCreate
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files[join(dir, name)] = nil
	return join(dir, name), nil
}

func (m *memFS) WriteDurably(ctx context.Context, f string, data []byte) error {
	m.log("write " + f)
	if m.failWrite != nil {
		return m.failWrite
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files[f] = slices.Clone(data)
	return nil
}

func (m *memFS) Rename(ctx context.Context, dir, from, to string) error {
	m.log("rename " + join(dir, from) + " " + join(dir, to))
	if m.failRename != nil {
		return m.failRename
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files[join(dir, to)] = m.files[join(dir, from)]
	delete(m.files, join(dir, from))
	return nil
}

func (m *memFS) Remove(ctx context.Context, dir, name string) error {
	m.log("remove " + join(dir, name))
	m.mu.Lock()
	defer m.mu.Unlock()
	m.removeCtxErr = ctx.Err()
	delete(m.files, join(dir, name))
	return nil
}
