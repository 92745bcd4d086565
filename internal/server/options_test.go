package server

import (
	"strings"
	"testing"
)

func TestOptionsDefaultsAndTokenRule(t *testing.T) {
	o, err := Options{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if o.Listen != "127.0.0.1:9500" || !strings.HasSuffix(o.DataDir, "plinth-data") || o.LogLevel != "info" ||
		o.DefaultBackupTarget != "file://"+o.DataDir+"/backupstore" || o.NodeID == "" {
		t.Fatalf("defaults: %+v", o)
	}
	if _, err := (Options{Listen: "0.0.0.0:9500"}).withDefaults(); err == nil || !strings.Contains(err.Error(), "PLINTH_TOKEN") {
		t.Fatalf("listening beyond loopback without a token: %v, want an error naming PLINTH_TOKEN", err)
	}
	if _, err := (Options{Listen: "0.0.0.0:9500", Token: "t"}).withDefaults(); err != nil {
		t.Fatalf("with a token: %v", err)
	}
	for _, bad := range []Options{{Listen: "nonsense"}, {LogLevel: "loud"}} {
		if _, err := bad.withDefaults(); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}
