package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// EnvName is the environment variable that sets a flag: PLINTH_ and the
// flag's name upper-cased with '-' as '_' (--data-dir: PLINTH_DATA_DIR).
func EnvName(flag string) string {
	return "PLINTH_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// ApplyEnv sets each named flag of fs that was not given on the command
// line from its EnvName variable, when that is set. The command line wins
// over the environment, which wins over the default. Values are parsed by
// the flag itself, so PLINTH_INSECURE_ALLOW_PRIVATE_SOURCES=true works like
// the flag.
func ApplyEnv(fs *pflag.FlagSet, lookup func(string) (string, bool), names ...string) error {
	for _, name := range names {
		f := fs.Lookup(name)
		if f == nil || f.Changed {
			continue
		}
		v, ok := lookup(EnvName(name))
		if !ok {
			continue
		}
		if err := fs.Set(name, v); err != nil {
			return fmt.Errorf("environment variable %s: %w", EnvName(name), err)
		}
	}
	return nil
}
