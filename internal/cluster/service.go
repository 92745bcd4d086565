package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"go.etcd.io/etcd/api/v3/etcdserverpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/plinth-storage/plinth/internal/errkind"
)

// changeTimeout bounds a member change: without a quorum (a 2-member
// cluster with one member down) it can never commit.
const changeTimeout = 15 * time.Second

// DefaultMaxMembers is how many voting etcd members a cluster gets when no
// maximum is set; later joiners become clients.
const DefaultMaxMembers = 3

// JoinRequest is the body of POST /v1/cluster/join.
type JoinRequest struct {
	// Name is the joining node's ID, which becomes its etcd member name.
	Name string `json:"name"`
	// PeerURL is where the joiner's etcd member will listen for peers.
	PeerURL string `json:"peerURL"`
}

// Roles a joiner gets.
const (
	RoleMember = "member" // it runs an etcd member
	RoleClient = "client" // it uses the members' client URLs only
)

// JoinResponse is the answer to a join.
type JoinResponse struct {
	Role string `json:"role"`
	// InitialCluster is etcd's --initial-cluster for the new member
	// (RoleMember only).
	InitialCluster string `json:"initialCluster,omitempty"`
	// ClientURLs are the client URLs of the cluster's started members.
	ClientURLs []string `json:"clientURLs"`
}

// Member is one etcd member as GET /v1/cluster/members shows it.
type Member struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	PeerURLs   []string `json:"peerURLs"`
	ClientURLs []string `json:"clientURLs"`
	Learner    bool     `json:"isLearner"`
	// Started is false for a member that was added but has not yet
	// joined.
	Started bool `json:"started"`
}

// Service answers join, member list and member removal requests on a
// running daemon. Its zero value is not usable: use NewService.
type Service struct {
	cli      *clientv3.Client
	embedded bool
	max      int
	verify   verifier
	mu       sync.Mutex // one join at a time
}

// NewService serves joins into the etcd cluster cli talks to. token is
// the cluster token (empty: every join is refused); embedded says whether
// this daemon runs an embedded member (joins into an external etcd are
// refused); maxMembers <= 0 means DefaultMaxMembers.
func NewService(cli *clientv3.Client, token string, embedded bool, maxMembers int) *Service {
	if maxMembers <= 0 {
		maxMembers = DefaultMaxMembers
	}
	return &Service{cli: cli, embedded: embedded, max: maxMembers, verify: verifier{token: token}}
}

// Join authenticates body with the AuthHeader value auth and, when there
// is room, adds the joiner as an etcd member and returns what it needs to
// start; past the maximum it returns RoleClient and the client URLs.
// Errors: ErrUnauthorized or ErrForbidden (wrapped) for bad credentials;
// errkind Invalid for a bad body, Conflict when the name or peer URL is
// already a started member or the cluster uses an external etcd,
// Unavailable when etcd refuses the change now (retry).
func (s *Service) Join(ctx context.Context, auth string, body []byte) (*JoinResponse, error) {
	if err := s.verify.verify(auth, body); err != nil {
		return nil, err
	}
	var req JoinRequest
	if err := json.Unmarshal(body, &req); err != nil {
		return nil, &errkind.Error{Kind: errkind.KindBadRequest, Msg: "the join request is not JSON: " + err.Error()}
	}
	if err := req.validate(); err != nil {
		return nil, err
	}
	if !s.embedded {
		return nil, &errkind.Error{Kind: errkind.KindConflict, Msg: "this daemon uses an external etcd (--etcd-endpoints): give the joining daemon the same --etcd-endpoints instead of --join"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	list, err := s.cli.MemberList(ctx)
	if err != nil {
		return nil, unavailable("list the etcd members", err)
	}
	for _, m := range list.Members {
		same := m.Name == req.Name || contains(m.PeerURLs, req.PeerURL)
		if !same {
			continue
		}
		if m.Name == "" && len(m.PeerURLs) == 1 && m.PeerURLs[0] == req.PeerURL {
			// Added by an earlier attempt that did not start: answer again.
			return s.memberResponse(list.Members, m.ID, req.Name), nil
		}
		return nil, &errkind.Error{Kind: errkind.KindConflict, Msg: fmt.Sprintf(
			"etcd member %q (%s) already exists: a node restarts from its data dir without --join; "+
				"to join anew with an empty data dir, remove it first (plinth node remove %s)", m.Name, strings.Join(m.PeerURLs, ","), m.Name)}
	}
	voting := 0
	for _, m := range list.Members {
		if !m.IsLearner {
			voting++
		}
	}
	if voting >= s.max {
		return &JoinResponse{Role: RoleClient, ClientURLs: clientURLs(list.Members)}, nil
	}
	cctx, cancel := context.WithTimeout(ctx, changeTimeout)
	defer cancel()
	added, err := s.cli.MemberAdd(cctx, []string{req.PeerURL})
	if err != nil {
		return nil, unavailable("add the etcd member", err)
	}
	return s.memberResponse(added.Members, added.Member.ID, req.Name), nil
}

func (s *Service) memberResponse(members []*etcdserverpb.Member, id uint64, name string) *JoinResponse {
	var parts []string
	for _, m := range members {
		n := m.Name
		if m.ID == id {
			n = name
		}
		if n == "" {
			continue // another added member that has not started: not part of the joiner's view
		}
		for _, p := range m.PeerURLs {
			parts = append(parts, n+"="+p)
		}
	}
	sort.Strings(parts)
	return &JoinResponse{Role: RoleMember, InitialCluster: strings.Join(parts, ","), ClientURLs: clientURLs(members)}
}

// Members lists the etcd members. Errors are errkind Unavailable.
func (s *Service) Members(ctx context.Context) ([]Member, error) {
	list, err := s.cli.MemberList(ctx)
	if err != nil {
		return nil, unavailable("list the etcd members", err)
	}
	out := make([]Member, 0, len(list.Members))
	for _, m := range list.Members {
		out = append(out, Member{ID: fmt.Sprintf("%x", m.ID), Name: m.Name, PeerURLs: m.PeerURLs,
			ClientURLs: m.ClientURLs, Learner: m.IsLearner, Started: m.Name != ""})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// RemoveMember removes the etcd member named name (a node ID), so that a
// dead node no longer counts towards the quorum. That node's data dir can
// no longer be used: it must join again with an empty one. Errors: errkind
// NotFound (no such member), Conflict (the last member), Unavailable.
func (s *Service) RemoveMember(ctx context.Context, name string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	list, err := s.cli.MemberList(ctx)
	if err != nil {
		return unavailable("list the etcd members", err)
	}
	for _, m := range list.Members {
		if m.Name != name && fmt.Sprintf("%x", m.ID) != name {
			continue
		}
		if len(list.Members) == 1 {
			return &errkind.Error{Kind: errkind.KindConflict, Msg: "refusing to remove the cluster's last etcd member"}
		}
		cctx, cancel := context.WithTimeout(ctx, changeTimeout)
		defer cancel()
		if _, err := s.cli.MemberRemove(cctx, m.ID); err != nil {
			return unavailable("remove etcd member "+name, err)
		}
		return nil
	}
	return &errkind.Error{Kind: errkind.KindNotFound, Msg: fmt.Sprintf("no etcd member is named %q (see GET /v1/cluster/members); a client-only node has none to remove", name)}
}

func (r JoinRequest) validate() error {
	if r.Name == "" {
		return &errkind.Error{Kind: errkind.KindInvalid, Msg: "the join request needs the joining node's name"}
	}
	u, err := url.Parse(r.PeerURL)
	if err != nil || u.Scheme != "http" || u.Port() == "" || u.Path != "" {
		return &errkind.Error{Kind: errkind.KindInvalid, Msg: fmt.Sprintf("peer URL %q is not http://HOST:PORT", r.PeerURL)}
	}
	return nil
}

func unavailable(what string, err error) error {
	if errors.Is(err, rpctypes.ErrPeerURLExist) || errors.Is(err, rpctypes.ErrGRPCPeerURLExist) {
		return &errkind.Error{Kind: errkind.KindConflict, Msg: what + ": " + err.Error(), Err: err}
	}
	return &errkind.Error{Kind: errkind.KindUnavailable, Msg: what + ": " + err.Error() + " (etcd needs a quorum of its members running to change members, and refuses membership changes while a member added a moment ago has not started, or a member has been connected for less than 5 s: retry shortly)", Err: err}
}

func clientURLs(members []*etcdserverpb.Member) []string {
	var out []string
	for _, m := range members {
		out = append(out, m.ClientURLs...)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
