package cli

import (
	"context"
	"strings"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

// SettingList prints every setting.
func SettingList(ctx context.Context, env *Env) error {
	settings, err := env.Client.ListSettings(ctx)
	if err != nil {
		return err
	}
	if env.json() {
		return printJSON(env.Out, settings)
	}
	t := newTable(env.Out, "NAME", "VALUE", "DEFAULT", "DESCRIPTION")
	for _, s := range settings {
		t.row(s.Name, s.Value, s.Definition.Default, firstLine(s.Definition.Description))
	}
	return t.flush()
}

// SettingGet prints one setting.
func SettingGet(ctx context.Context, env *Env, name string) error {
	s, err := env.Client.GetSetting(ctx, name)
	if err != nil {
		return err
	}
	return printSetting(env, s)
}

// SettingSet changes a setting's value.
func SettingSet(ctx context.Context, env *Env, name, value string) error {
	s, err := env.Client.UpdateSetting(ctx, name, value)
	if err != nil {
		return err
	}
	return printSetting(env, s)
}

func printSetting(env *Env, s *apitypes.Setting) error {
	if env.json() {
		return printJSON(env.Out, s)
	}
	return details(env.Out, "Name", s.Name, "Value", s.Value, "Default", s.Definition.Default,
		"Type", s.Definition.Type, "Options", strings.Join(s.Definition.Options, ", "),
		"Description", s.Definition.Description)
}

// firstLine is s up to its first newline, cut to 80 characters.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 80 {
		s = s[:77] + "..."
	}
	return s
}
