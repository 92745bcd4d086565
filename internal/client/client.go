// Package client is the Go client of plinth's /v1 REST API. The CLI and
// tests use it; it speaks the wire types of internal/apitypes and nothing
// else, so it never reaches below the API.
//
// Every method takes a context first. Failures the server reports come back
// as *APIError (wrapped with what was being done); transport failures name
// the server address so the user can check --server.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Client calls one plinth server. It is safe for concurrent use.
type Client struct {
	base    *url.URL
	http    *http.Client
	token   string
	timeout time.Duration
	agent   string
}

// Option configures a Client.
type Option func(*Client)

// WithToken sends "Authorization: Bearer <token>" on every request.
func WithToken(token string) Option { return func(c *Client) { c.token = token } }

// WithHTTPClient replaces the default *http.Client (http.DefaultTransport,
// no overall timeout).
func WithHTTPClient(h *http.Client) Option { return func(c *Client) { c.http = h } }

// WithTimeout bounds each JSON API call (request and reply). Uploads,
// downloads and Wait* helpers are bounded only by their context, because a
// large image can legitimately take hours. Zero means no bound.
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option { return func(c *Client) { c.agent = ua } }

// New returns a client of the server at baseURL (e.g.
// "http://127.0.0.1:9500"; a missing scheme means http). A baseURL that
// does not parse yields a client whose every call fails with that error.
func New(baseURL string, opts ...Option) *Client {
	c := &Client{http: &http.Client{}, agent: "plinth-client"}
	if !strings.Contains(baseURL, "://") {
		baseURL = "http://" + baseURL
	}
	if u, err := url.Parse(strings.TrimRight(baseURL, "/")); err == nil {
		c.base = u
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// BaseURL is the server address the client talks to.
func (c *Client) BaseURL() string {
	if c.base == nil {
		return ""
	}
	return c.base.String()
}

// endpoint joins path segments (each escaped) under the base URL and adds
// the query.
func (c *Client) endpoint(query url.Values, segments ...string) (string, error) {
	if c.base == nil {
		return "", errors.New("invalid server URL: set --server or PLINTH_SERVER to e.g. http://127.0.0.1:9500")
	}
	u := *c.base
	escaped, plain := u.EscapedPath(), u.Path
	for _, s := range segments {
		escaped += "/" + url.PathEscape(s)
		plain += "/" + s
	}
	u.Path, u.RawPath = plain, escaped
	if len(query) > 0 {
		u.RawQuery = query.Encode()
	}
	return u.String(), nil
}

// newRequest builds a request with auth and agent headers set.
func (c *Client) newRequest(ctx context.Context, method, target string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, fmt.Errorf("build %s %s: %w", method, target, err)
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("User-Agent", c.agent)
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// send performs req and turns transport failures into errors that name the
// server; non-2xx replies become *APIError. The caller closes the body of a
// successful reply.
func (c *Client) send(req *http.Request) (*http.Response, error) {
	resp, err := c.http.Do(req)
	if err != nil {
		if ctxErr := req.Context().Err(); ctxErr != nil {
			return nil, fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, ctxErr)
		}
		return nil, fmt.Errorf("cannot reach plinth server at %s (is `plinth server` running? set --server or PLINTH_SERVER): %w",
			c.BaseURL(), err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		return resp, nil
	}
	defer resp.Body.Close()
	return nil, decodeError(resp)
}

// call sends a JSON request (in may be nil for no body) and decodes a JSON
// reply into out (out may be nil to discard it).
func (c *Client) call(ctx context.Context, method string, in, out any, query url.Values, segments ...string) error {
	if c.timeout > 0 && ctx.Value(unboundedKey{}) == nil {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	target, err := c.endpoint(query, segments...)
	if err != nil {
		return err
	}
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request body: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := c.newRequest(ctx, method, target, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.send(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil || resp.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode reply of %s %s: %w", method, req.URL.Path, err)
	}
	return nil
}

// unboundedKey marks a context whose call may outlast WithTimeout (verify
// reads a whole backup).
type unboundedKey struct{}

// action POSTs in to segments?action=name and decodes the reply into out.
func (c *Client) action(ctx context.Context, name string, in, out any, segments ...string) error {
	if in == nil {
		in = struct{}{}
	}
	return c.call(ctx, http.MethodPost, in, out, url.Values{"action": {name}}, segments...)
}

// Health checks GET /healthz.
func (c *Client) Health(ctx context.Context) error {
	if err := c.call(ctx, http.MethodGet, nil, nil, nil, "healthz"); err != nil {
		return fmt.Errorf("health check: %w", err)
	}
	return nil
}
