package cli

import (
	"context"
	"fmt"
	"strconv"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

// TargetOptions are the options of `plinth target create` and `update`.
// For update, nil fields keep their current values.
type TargetOptions struct {
	Name   string
	URL    *string
	Secret *string
	// PollInterval is seconds ("300") or a duration ("5m"); empty means
	// the server's default.
	PollInterval *string
}

// TargetCreate creates a backup target.
func TargetCreate(ctx context.Context, env *Env, o TargetOptions) error {
	if o.URL == nil || *o.URL == "" {
		return fmt.Errorf("--url is required, e.g. s3://bucket@region/path, nfs://host:/export, file:///srv/backups")
	}
	in := apitypes.BackupTargetInput{Name: o.Name, BackupTargetURL: *o.URL}
	if o.Secret != nil {
		in.CredentialSecret = *o.Secret
	}
	if o.PollInterval != nil {
		in.PollInterval = *o.PollInterval
	}
	t, err := env.Client.CreateBackupTarget(ctx, in)
	if err != nil {
		return err
	}
	return printTarget(env, t)
}

// TargetUpdate changes the given fields of a target, keeping the others.
func TargetUpdate(ctx context.Context, env *Env, o TargetOptions) error {
	cur, err := env.Client.GetBackupTarget(ctx, o.Name)
	if err != nil {
		return err
	}
	in := apitypes.BackupTargetInput{Name: o.Name, BackupTargetURL: cur.BackupTargetURL,
		CredentialSecret: cur.CredentialSecret, PollInterval: cur.PollInterval}
	if o.URL != nil {
		in.BackupTargetURL = *o.URL
	}
	if o.Secret != nil {
		in.CredentialSecret = *o.Secret
	}
	if o.PollInterval != nil {
		in.PollInterval = *o.PollInterval
	}
	t, err := env.Client.UpdateBackupTarget(ctx, o.Name, in)
	if err != nil {
		return err
	}
	return printTarget(env, t)
}

// TargetList prints every backup target.
func TargetList(ctx context.Context, env *Env) error {
	targets, err := env.Client.ListBackupTargets(ctx)
	if err != nil {
		return err
	}
	if env.json() {
		return printJSON(env.Out, targets)
	}
	t := newTable(env.Out, "NAME", "URL", "SECRET", "POLL INTERVAL", "AVAILABLE", "MESSAGE")
	for _, bt := range targets {
		t.row(bt.Name, bt.BackupTargetURL, bt.CredentialSecret, bt.PollInterval, strconv.FormatBool(bt.Available), bt.Message)
	}
	return t.flush()
}

// TargetGet prints one backup target.
func TargetGet(ctx context.Context, env *Env, name string) error {
	t, err := env.Client.GetBackupTarget(ctx, name)
	if err != nil {
		return err
	}
	return printTarget(env, t)
}

// TargetSync asks the server to re-scan a target now.
func TargetSync(ctx context.Context, env *Env, name string) error {
	t, err := env.Client.SyncBackupTarget(ctx, name)
	if err != nil {
		return err
	}
	return printTarget(env, t)
}

// TargetDelete deletes a backup target (its stored backups stay).
func TargetDelete(ctx context.Context, env *Env, name string) error {
	if err := env.Client.DeleteBackupTarget(ctx, name); err != nil {
		return err
	}
	fmt.Fprintf(env.Out, "backup target %s deleted (the backups in its store are untouched)\n", name)
	return nil
}

func printTarget(env *Env, t *apitypes.BackupTarget) error {
	if env.json() {
		return printJSON(env.Out, t)
	}
	return details(env.Out, "Name", t.Name, "URL", t.BackupTargetURL, "Secret", t.CredentialSecret,
		"Poll interval", t.PollInterval, "Available", strconv.FormatBool(t.Available), "Message", t.Message)
}
