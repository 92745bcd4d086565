package cli

import (
	"slices"
	"testing"

	"github.com/spf13/pflag"
)

func lookupFrom(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

func TestServerOptionsDefaults(t *testing.T) {
	fs := pflag.NewFlagSet("server", pflag.ContinueOnError)
	sf := AddServerFlags(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	o, err := sf.Options(lookupFrom(nil))
	if err != nil {
		t.Fatal(err)
	}
	if o.DataDir != "./plinth-data" || o.Listen != "127.0.0.1:9500" || o.LogLevel != "info" || o.NodeID == "" ||
		o.EtcdEndpoints != nil || o.InsecureAllowPrivateSources || o.Token != "" || o.DefaultBackupTarget != "" {
		t.Fatalf("defaults: %+v", o)
	}
}

func TestServerOptionsFlagsBeatEnvBeatDefaults(t *testing.T) {
	fs := pflag.NewFlagSet("server", pflag.ContinueOnError)
	sf := AddServerFlags(fs)
	if err := fs.Parse([]string{"--listen", "127.0.0.1:9600", "--etcd-endpoints", "http://a:2379, http://b:2379,"}); err != nil {
		t.Fatal(err)
	}
	o, err := sf.Options(lookupFrom(map[string]string{
		"PLINTH_LISTEN":                         "0.0.0.0:1",
		"PLINTH_DATA_DIR":                       "/srv/plinth",
		"PLINTH_NODE_ID":                        "n7",
		"PLINTH_INSECURE_ALLOW_PRIVATE_SOURCES": "true",
		"PLINTH_LOG_LEVEL":                      "debug",
		"PLINTH_DEFAULT_BACKUP_TARGET":          "s3://b@r/",
		"PLINTH_TOKEN":                          "tok",
		"PLINTH_ADVERTISE_URL":                  "http://10.0.0.5:9600",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if o.Listen != "127.0.0.1:9600" || o.DataDir != "/srv/plinth" || o.NodeID != "n7" || !o.InsecureAllowPrivateSources ||
		o.LogLevel != "debug" || o.DefaultBackupTarget != "s3://b@r/" || o.Token != "tok" || o.AdvertiseURL != "http://10.0.0.5:9600" ||
		!slices.Equal(o.EtcdEndpoints, []string{"http://a:2379", "http://b:2379"}) {
		t.Fatalf("options: %+v", o)
	}
}

func TestServerOptionsBadEnvValue(t *testing.T) {
	fs := pflag.NewFlagSet("server", pflag.ContinueOnError)
	sf := AddServerFlags(fs)
	_ = fs.Parse(nil)
	_, err := sf.Options(lookupFrom(map[string]string{"PLINTH_INSECURE_ALLOW_PRIVATE_SOURCES": "maybe"}))
	if err == nil || err.Error()[:len("environment variable PLINTH_INSECURE_ALLOW_PRIVATE_SOURCES")] != "environment variable PLINTH_INSECURE_ALLOW_PRIVATE_SOURCES" {
		t.Fatalf("got %v", err)
	}
}
