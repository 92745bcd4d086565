package store

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func TestEtcdLoggerForwardsWarningsAndFatal(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	lg := etcdLogger(log).WithOptions(zap.WithFatalHook(zapcore.WriteThenPanic))
	lg.Info("chatty info line")
	lg.Error("serve failed", zap.Error(errClosed{}))
	lg.With(zap.String("member", "plinth")).Warn("slow fdatasync", zap.Duration("took", 2e9))
	func() {
		defer func() { _ = recover() }()
		lg.Fatal("failed to save snapshot", zap.Error(errNoSpace{}))
	}()
	out := buf.String()
	for _, want := range []string{"slow fdatasync", "member=plinth", "took=", "component=etcd",
		"etcd stopped the process: failed to save snapshot", "no space left on device", "level=ERROR"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "chatty info line") || strings.Contains(out, "serve failed") {
		t.Errorf("info lines must be dropped:\n%s", out)
	}
}

type errNoSpace struct{}

func (errNoSpace) Error() string { return "write wal: no space left on device" }

type errClosed struct{}

func (errClosed) Error() string { return "accept tcp 127.0.0.1:2379: use of closed network connection" }
