package cluster

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/plinth-storage/plinth/internal/backoff"
)

// joinBudget is how long a joiner keeps retrying a join that the member
// cannot do yet (etcd refuses a member change while an earlier one has
// not started) or cannot be reached.
const joinBudget = 2 * time.Minute

// requestJoin asks the node at c.Join to add this one, retrying transient
// failures (unreachable, 5xx) within joinBudget. A refusal (4xx) is
// returned at once, with the member's message.
func requestJoin(ctx context.Context, c Config, peerURL string) (*JoinResponse, error) {
	body, err := json.Marshal(JoinRequest{Name: c.NodeID, PeerURL: peerURL})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, joinBudget)
	defer cancel()
	for attempt := 1; ; attempt++ {
		resp, retry, err := postJoin(ctx, c, body)
		if err == nil {
			return resp, nil
		}
		if !retry {
			return nil, err
		}
		c.Log.Warn("join attempt failed; retrying", "member", c.Join, "attempt", attempt, "err", err)
		if serr := backoff.Sleep(ctx, backoff.Jitter(backoff.Exp(500*time.Millisecond, 5*time.Second, attempt))); serr != nil {
			return nil, fmt.Errorf("join through %s: gave up after %s: %w", c.Join, joinBudget, err)
		}
	}
}

// postJoin makes one join request; retry says whether a failure may pass.
func postJoin(ctx context.Context, c Config, body []byte) (resp *JoinResponse, retry bool, err error) {
	u := strings.TrimRight(c.Join, "/") + "/v1/cluster/join"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, false, fmt.Errorf("invalid --join %q: %w (give the API URL of a running node, e.g. http://10.0.0.5:9500)", c.Join, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(AuthHeader, Sign(c.Token, body))
	if c.APIToken != "" {
		req.Header.Set("Authorization", "Bearer "+c.APIToken)
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	r, err := hc.Do(req)
	if err != nil {
		return nil, true, fmt.Errorf("join through %s: %w", c.Join, err)
	}
	defer r.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if r.StatusCode != http.StatusOK {
		var e struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(data, &e)
		err := fmt.Errorf("join through %s refused: %s: %s", c.Join, r.Status, e.Message)
		return nil, r.StatusCode >= 500, err
	}
	var jr JoinResponse
	if err := json.Unmarshal(data, &jr); err != nil {
		return nil, false, fmt.Errorf("join through %s: unreadable answer: %w", c.Join, err)
	}
	if jr.Role != RoleMember && jr.Role != RoleClient || len(jr.ClientURLs) == 0 {
		return nil, false, fmt.Errorf("join through %s: the answer has role %q and %d client URLs", c.Join, jr.Role, len(jr.ClientURLs))
	}
	return &jr, false, nil
}
