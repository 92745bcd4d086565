// Package cluster forms a plinth cluster whose daemons are the members of
// one embedded etcd cluster, k3s-style: the first daemon starts a new etcd
// cluster with a real peer listener, each further daemon asks a running
// one to add it (POST /v1/cluster/join, authenticated with the cluster
// token) and starts its etcd member as part of the existing cluster. Past
// a maximum number of voting members, joiners become etcd clients only.
package cluster

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// TokenEnv is the environment variable that may hold the cluster token
// instead of a file.
const TokenEnv = "PLINTH_CLUSTER_TOKEN"

// AuthHeader carries a join request's proof that the caller knows the
// cluster token: "v1 ts=<unix seconds>,nonce=<hex>,mac=<hex>", where mac is
// HMAC-SHA256(token, "plinth-join\n"+ts+"\n"+nonce+"\n"+hex(SHA-256(body))).
// The token itself never crosses the network.
const AuthHeader = "X-Plinth-Cluster-Auth"

// maxSkew is how far a join request's time stamp may be from the
// receiver's clock; a nonce is remembered that long, so it cannot be
// replayed.
const maxSkew = 2 * time.Minute

// ErrUnauthorized means a join request carries no cluster credentials
// (401); ErrForbidden that they are wrong, stale or replayed (403).
var (
	ErrUnauthorized = errors.New("a join needs the cluster token: start the joining daemon with --cluster-token-file or " + TokenEnv)
	ErrForbidden    = errors.New("the join request's cluster credentials are wrong, stale or replayed: give every daemon the same cluster token and keep their clocks within 2 minutes")
)

// ReadToken returns the cluster token from file (which must not be
// readable by group or others, e.g. mode 0600) or, when file is empty,
// from TokenEnv through lookup. It returns "" and no error when neither
// is given. The token is never logged.
func ReadToken(file string, lookup func(string) (string, bool)) (string, error) {
	if file == "" {
		v, _ := lookup(TokenEnv)
		return strings.TrimSpace(v), nil
	}
	fi, err := os.Stat(file)
	if err != nil {
		return "", fmt.Errorf("read the cluster token file: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("the cluster token file %s is readable by others (mode %o): chmod 600 it", file, fi.Mode().Perm())
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("read the cluster token file: %w", err)
	}
	tok := strings.TrimSpace(string(b))
	if tok == "" {
		return "", fmt.Errorf("the cluster token file %s is empty: put a long random secret in it", file)
	}
	return tok, nil
}

// Sign returns the AuthHeader value for a join request with body.
func Sign(token string, body []byte) string {
	var n [16]byte
	_, _ = rand.Read(n[:])
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nonce := hex.EncodeToString(n[:])
	return "v1 ts=" + ts + ",nonce=" + nonce + ",mac=" + mac(token, ts, nonce, body)
}

func mac(token, ts, nonce string, body []byte) string {
	sum := sha256.Sum256(body)
	h := hmac.New(sha256.New, []byte(token))
	h.Write([]byte("plinth-join\n" + ts + "\n" + nonce + "\n" + hex.EncodeToString(sum[:])))
	return hex.EncodeToString(h.Sum(nil))
}

// verifier checks AuthHeader values and remembers recent nonces.
type verifier struct {
	token string
	mu    sync.Mutex
	seen  map[string]time.Time
}

// verify returns nil if header proves knowledge of the token for body,
// ErrUnauthorized if it is missing, ErrForbidden otherwise.
func (v *verifier) verify(header string, body []byte) error {
	if header == "" {
		return ErrUnauthorized
	}
	rest, ok := strings.CutPrefix(header, "v1 ")
	if !ok || v.token == "" {
		return ErrForbidden
	}
	fields := map[string]string{}
	for _, kv := range strings.Split(rest, ",") {
		k, val, _ := strings.Cut(strings.TrimSpace(kv), "=")
		fields[k] = val
	}
	ts, nonce, got := fields["ts"], fields["nonce"], fields["mac"]
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(nonce) < 16 {
		return ErrForbidden
	}
	now := time.Now()
	if d := now.Sub(time.Unix(sec, 0)); d > maxSkew || d < -maxSkew {
		return ErrForbidden
	}
	if !hmac.Equal([]byte(got), []byte(mac(v.token, ts, nonce, body))) {
		return ErrForbidden
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	for n, at := range v.seen {
		if now.Sub(at) > 2*maxSkew {
			delete(v.seen, n)
		}
	}
	if _, dup := v.seen[nonce]; dup {
		return ErrForbidden
	}
	if v.seen == nil {
		v.seen = map[string]time.Time{}
	}
	v.seen[nonce] = now
	return nil
}
