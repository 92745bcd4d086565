package contract

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/client"
)

func miscScenarios() []Scenario {
	return []Scenario{
		{"secrets/create-list-delete-never-values", secretLifecycle},
		{"secrets/errors", secretErrors},
		{"settings/get-set", settingsGetSet},
		{"nodes/list-get", nodesListGet},
	}
}

// noValues fails t if any reply, as JSON, contains a secret value.
func noValues(t *testing.T, what string, reply any, values ...string) {
	t.Helper()
	b, err := json.Marshal(reply)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range values {
		if strings.Contains(string(b), v) {
			t.Fatalf("%s reveals a secret value: %s", what, b)
		}
	}
}

// secretLifecycle: a secret shows its keys (sorted), never its values; a
// secret in use by a target cannot be deleted; deleted, it is a 404.
func secretLifecycle(t *testing.T, c *client.Client) {
	ctx := waitCtx(t)
	values := []string{"c-value-one-4f1d", "c-value-two-9e2a"}
	sec, err := c.CreateSecret(ctx, apitypes.SecretCreateInput{Name: "c-sec",
		Data: map[string]string{"SECRET_B": values[1], "KEY_A": values[0]}})
	if err != nil || sec.Name != "c-sec" || !slices.Equal(sec.Keys, []string{"KEY_A", "SECRET_B"}) {
		t.Fatalf("create: %v %+v", err, sec)
	}
	noValues(t, "create", sec, values...)
	got, err := c.GetSecret(ctx, "c-sec")
	if err != nil || !slices.Equal(got.Keys, []string{"KEY_A", "SECRET_B"}) {
		t.Fatalf("get: %v %+v", err, got)
	}
	noValues(t, "get", got, values...)
	list, err := c.ListSecrets(ctx)
	if err != nil || !slices.ContainsFunc(list, func(s apitypes.Secret) bool { return s.Name == "c-sec" }) {
		t.Fatalf("list: %v %+v", err, list)
	}
	noValues(t, "list", list, values...)

	if _, err := c.CreateBackupTarget(ctx, apitypes.BackupTargetInput{Name: "c-sec-user",
		BackupTargetURL: "file://" + t.TempDir(), CredentialSecret: "c-sec"}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "delete a secret a target uses", c.DeleteSecret(ctx, "c-sec"), http.StatusConflict, "c-sec-user")
	if err := c.DeleteBackupTarget(ctx, "c-sec-user"); err != nil {
		t.Fatal(err)
	}
	eventuallyGone(t, "target c-sec-user", func() error { _, err := c.GetBackupTarget(ctx, "c-sec-user"); return err })
	if err := c.DeleteSecret(ctx, "c-sec"); err != nil {
		t.Fatalf("delete once unused: %v", err)
	}
	_, err = c.GetSecret(ctx, "c-sec")
	wantStatus(t, "get a deleted secret", err, http.StatusNotFound, "c-sec")
}

// secretErrors: duplicates are 409s, bad names, keys or empty data 422s,
// and values never appear in an error.
func secretErrors(t *testing.T, c *client.Client) {
	ctx := waitCtx(t)
	value := "c-value-three-77ab"
	if _, err := c.CreateSecret(ctx, apitypes.SecretCreateInput{Name: "c-sec-dup", Data: map[string]string{"A": value}}); err != nil {
		t.Fatal(err)
	}
	_, err := c.CreateSecret(ctx, apitypes.SecretCreateInput{Name: "c-sec-dup", Data: map[string]string{"A": value}})
	wantStatus(t, "create a duplicate secret", err, http.StatusConflict, "c-sec-dup")
	invalid := map[string]apitypes.SecretCreateInput{
		"bad name":         {Name: "Bad Name", Data: map[string]string{"A": value}},
		"no data":          {Name: "c-sec-x"},
		"bad key":          {Name: "c-sec-x", Data: map[string]string{"A B": value}},
		"value with space": {Name: "c-sec-x", Data: map[string]string{"A": value + "\n"}},
	}
	for what, in := range invalid {
		_, err := c.CreateSecret(ctx, in)
		wantStatus(t, "create a secret with "+what, err, http.StatusUnprocessableEntity)
		if strings.Contains(err.Error(), value) {
			t.Fatalf("error reveals the value: %v", err)
		}
	}
	_, err = c.GetSecret(ctx, "c-sec-missing")
	wantStatus(t, "get a missing secret", err, http.StatusNotFound, "c-sec-missing")
	wantStatus(t, "delete a missing secret", c.DeleteSecret(ctx, "c-sec-missing"), http.StatusNotFound, "c-sec-missing")
}

// settingsGetSet: settings list with their definitions; an int setting
// reads its default, takes a valid value and refuses invalid ones with a
// 422; an unknown setting is a 404. (It uses the download stall timeout,
// which no other scenario depends on.)
func settingsGetSet(t *testing.T, c *client.Client) {
	ctx := waitCtx(t)
	const name = "backing-image-download-stall-timeout"
	list, err := c.ListSettings(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{name, "backup-compression-method", "backup-concurrent-limit"} {
		if !slices.ContainsFunc(list, func(s apitypes.Setting) bool { return s.Name == want && s.Definition.Type != "" }) {
			t.Fatalf("settings list lacks %s: %+v", want, list)
		}
	}
	s, err := c.GetSetting(ctx, name)
	if err != nil || s.Value != "60" || s.Definition.Default != "60" || s.Definition.Type != "int" {
		t.Fatalf("get: %v %+v", err, s)
	}
	s, err = c.UpdateSetting(ctx, name, "90")
	if err != nil || s.Name != name || s.Value != "90" {
		t.Fatalf("set: %v %+v", err, s)
	}
	if s, err := c.GetSetting(ctx, name); err != nil || s.Value != "90" {
		t.Fatalf("get after set: %v %+v", err, s)
	}
	for _, bad := range []string{"soon", "0", ""} {
		_, err := c.UpdateSetting(ctx, name, bad)
		wantStatus(t, "set "+name+" to "+bad, err, http.StatusUnprocessableEntity, name)
	}
	comp, err := c.GetSetting(ctx, "backup-compression-method")
	if err != nil || !slices.Contains(comp.Definition.Options, comp.Value) {
		t.Fatalf("compression setting: %v %+v", err, comp)
	}
	_, err = c.UpdateSetting(ctx, "backup-compression-method", "zstd-max")
	wantStatus(t, "set a value outside the options", err, http.StatusUnprocessableEntity)
	_, err = c.GetSetting(ctx, "c-no-such-setting")
	wantStatus(t, "get an unknown setting", err, http.StatusNotFound, "c-no-such-setting")
	_, err = c.UpdateSetting(ctx, "c-no-such-setting", "1")
	wantStatus(t, "set an unknown setting", err, http.StatusNotFound, "c-no-such-setting")
	if _, err := c.UpdateSetting(ctx, name, "60"); err != nil {
		t.Fatalf("put the default back: %v", err)
	}
}

// nodesListGet: at least one node, each with disks that have UUIDs and a
// Ready condition; get by name agrees with the list; a missing node is a
// 404.
func nodesListGet(t *testing.T, c *client.Client) {
	ctx := waitCtx(t)
	nodes, err := c.ListNodes(ctx)
	if err != nil || len(nodes) == 0 {
		t.Fatalf("list: %v %+v", err, nodes)
	}
	for _, n := range nodes {
		if n.Name == "" || len(n.Disks) == 0 || n.Conditions["Ready"].Status != "True" {
			t.Fatalf("node: %+v", n)
		}
		for name, d := range n.Disks {
			if d.DiskUUID == "" || d.Path == "" || d.DiskType == "" {
				t.Fatalf("node %s disk %s: %+v", n.Name, name, d)
			}
		}
		got, err := c.GetNode(ctx, n.Name)
		if err != nil || got.Name != n.Name || len(got.Disks) != len(n.Disks) {
			t.Fatalf("get node %s: %v %+v", n.Name, err, got)
		}
	}
	_, err = c.GetNode(ctx, "c-no-node")
	wantStatus(t, "get a missing node", err, http.StatusNotFound, "c-no-node")
}
