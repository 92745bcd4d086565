package cli

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

// SecretCreateOptions are the options of `plinth secret create`. Values
// given as Literals are visible to other users in process listings and stay
// in shell history; Files and EnvFile (either may be "-" for stdin) avoid
// that.
type SecretCreateOptions struct {
	Name     string
	Literals []string // KEY=VALUE
	Files    []string // KEY=PATH; the file's content, one trailing newline removed
	EnvFile  string   // lines of KEY=VALUE; blank lines and # comments skipped
}

// SecretCreate stores a secret; it prints the keys, never the values.
func SecretCreate(ctx context.Context, env *Env, o SecretCreateOptions) error {
	data, err := secretData(env, o)
	if err != nil {
		return err
	}
	if len(data) == 0 {
		return errors.New("a secret needs at least one key: use --from-literal, --from-file or --from-env-file")
	}
	s, err := env.Client.CreateSecret(ctx, apitypes.SecretCreateInput{Name: o.Name, Data: data})
	if err != nil {
		return err
	}
	if env.json() {
		return printJSON(env.Out, s)
	}
	fmt.Fprintf(env.Out, "secret %s created with keys: %s\n", s.Name, strings.Join(s.Keys, ", "))
	return nil
}

// secretData gathers the key/value pairs; errors name keys, never values.
func secretData(env *Env, o SecretCreateOptions) (map[string]string, error) {
	data := map[string]string{}
	stdinUsed := false
	readPath := func(path string) ([]byte, error) {
		if path != "-" {
			return os.ReadFile(path)
		}
		if stdinUsed || env.Stdin == nil {
			return nil, errors.New("stdin (-) can be read only once")
		}
		stdinUsed = true
		return io.ReadAll(env.Stdin)
	}
	add := func(key, value, from string) error {
		if key == "" {
			return fmt.Errorf("empty key in %s", from)
		}
		if _, dup := data[key]; dup {
			return fmt.Errorf("key %q given twice", key)
		}
		data[key] = value
		return nil
	}
	for _, l := range o.Literals {
		k, v, ok := strings.Cut(l, "=")
		if !ok {
			// The argument is not echoed: it may be a value typed without its key.
			return nil, errors.New("--from-literal takes KEY=VALUE; one argument has no '='")
		}
		if err := add(k, v, "--from-literal"); err != nil {
			return nil, err
		}
	}
	for _, f := range o.Files {
		k, path, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("--from-file takes KEY=PATH, got %q", f)
		}
		b, err := readPath(path)
		if err != nil {
			return nil, fmt.Errorf("read value of key %q: %w", k, err)
		}
		b = bytes.TrimSuffix(bytes.TrimSuffix(b, []byte("\n")), []byte("\r"))
		if err := add(k, string(b), "--from-file"); err != nil {
			return nil, err
		}
	}
	if o.EnvFile != "" {
		b, err := readPath(o.EnvFile)
		if err != nil {
			return nil, fmt.Errorf("read env file: %w", err)
		}
		if err := parseEnvFile(b, add); err != nil {
			return nil, err
		}
	}
	return data, nil
}

// parseEnvFile reads KEY=VALUE lines; a value in matching quotes loses them.
func parseEnvFile(b []byte, add func(k, v, from string) error) error {
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		k, v, ok := strings.Cut(strings.TrimPrefix(text, "export "), "=")
		if !ok {
			return fmt.Errorf("env file line %d: want KEY=VALUE", line)
		}
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		if err := add(strings.TrimSpace(k), v, fmt.Sprintf("env file line %d", line)); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("read env file: %w", err)
	}
	return nil
}

// SecretList prints every secret's name and keys.
func SecretList(ctx context.Context, env *Env) error {
	secrets, err := env.Client.ListSecrets(ctx)
	if err != nil {
		return err
	}
	if env.json() {
		return printJSON(env.Out, secrets)
	}
	t := newTable(env.Out, "NAME", "KEYS")
	for _, s := range secrets {
		t.row(s.Name, strings.Join(s.Keys, ","))
	}
	return t.flush()
}

// SecretGet prints one secret's name and keys.
func SecretGet(ctx context.Context, env *Env, name string) error {
	s, err := env.Client.GetSecret(ctx, name)
	if err != nil {
		return err
	}
	if env.json() {
		return printJSON(env.Out, s)
	}
	return details(env.Out, "Name", s.Name, "Keys", strings.Join(s.Keys, ", "))
}

// SecretRekey has the server seal every secret under a new key and drop
// the old keys from its key file; it prints how many were rewritten.
func SecretRekey(ctx context.Context, env *Env) error {
	n, err := env.Client.RekeySecrets(ctx)
	if err != nil {
		return err
	}
	if env.json() {
		return printJSON(env.Out, apitypes.SecretRekeyResult{Rewritten: n})
	}
	fmt.Fprintf(env.Out, "secrets rekeyed: %d rewritten under a new key; the old key is gone from the server's key file\n", n)
	return nil
}

// SecretDelete deletes a secret.
func SecretDelete(ctx context.Context, env *Env, name string) error {
	if err := env.Client.DeleteSecret(ctx, name); err != nil {
		return err
	}
	fmt.Fprintf(env.Out, "secret %s deleted\n", name)
	return nil
}
