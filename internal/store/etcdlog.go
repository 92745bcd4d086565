package store

import (
	"context"
	"log/slog"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// etcdLogger returns a zap logger for the embedded etcd that forwards its
// warnings, errors and fatal messages to log, with etcd's fields as
// attributes, so that a failing etcd (a full disk, a corrupt WAL) says why
// in plinth's own log before it stops the process. Info and debug lines
// are dropped: etcd is chatty and they carry nothing an operator acts on.
// A nil log drops everything.
func etcdLogger(log *slog.Logger) *zap.Logger {
	if log == nil {
		return zap.NewNop()
	}
	return zap.New(&slogCore{log: log.With("component", "etcd")})
}

// slogCore is a zapcore.Core writing to a slog.Logger.
type slogCore struct {
	log    *slog.Logger
	fields []zapcore.Field
}

var _ zapcore.Core = (*slogCore)(nil)

// Enabled passes warnings and above.
func (c *slogCore) Enabled(l zapcore.Level) bool { return l >= zapcore.WarnLevel }

// With returns a core that adds fields to every entry.
func (c *slogCore) With(fields []zapcore.Field) zapcore.Core {
	return &slogCore{log: c.log, fields: append(append([]zapcore.Field(nil), c.fields...), fields...)}
}

// Check adds c to the entry when its level is enabled.
func (c *slogCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if c.Enabled(e.Level) {
		return ce.AddCore(e, c)
	}
	return ce
}

// Write logs one entry; fields become attributes in etcd's field order.
// etcd's complaint that its listener was closed, which it logs at every
// clean stop, is dropped: it is not an error anyone acts on.
func (c *slogCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	enc := zapcore.NewMapObjectEncoder()
	for _, f := range append(append([]zapcore.Field(nil), c.fields...), fields...) {
		f.AddTo(enc)
	}
	if e.Level < zapcore.DPanicLevel && mentions(enc.Fields, "use of closed network connection") {
		return nil
	}
	attrs := make([]slog.Attr, 0, len(enc.Fields)+1)
	for k, v := range enc.Fields {
		attrs = append(attrs, slog.Any(k, v))
	}
	level := slog.LevelWarn
	if e.Level >= zapcore.ErrorLevel {
		level = slog.LevelError
	}
	msg := e.Message
	if e.Level >= zapcore.DPanicLevel {
		msg = "etcd stopped the process: " + msg
	}
	c.log.LogAttrs(context.Background(), level, msg, attrs...)
	return nil
}

// Sync has nothing to flush: slog handlers write through.
func (c *slogCore) Sync() error { return nil }

// mentions reports whether any string-valued field contains text.
func mentions(fields map[string]any, text string) bool {
	for _, v := range fields {
		if s, ok := v.(string); ok && strings.Contains(s, text) {
			return true
		}
	}
	return false
}
