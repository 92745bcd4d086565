package api

import (
	"errors"
	"io"
	"net/http"

	"github.com/plinth-storage/plinth/internal/api/rancher"
	"github.com/plinth-storage/plinth/internal/cluster"
	"github.com/plinth-storage/plinth/internal/errkind"
)

// maxJoinBody bounds a join request's body; a real one is ~100 bytes.
const maxJoinBody = 64 << 10

func (s *Server) clusterRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/cluster/join", s.clusterJoin)
	mux.HandleFunc("GET /v1/cluster/members", s.clusterMembers)
	mux.HandleFunc("DELETE /v1/cluster/members/{name}", s.clusterRemoveMember)
}

// clusterJoin adds the caller as an etcd member (or tells it to be a
// client). It is authenticated by the cluster token's HMAC in
// cluster.AuthHeader: 401 without it, 403 when wrong.
func (s *Server) clusterJoin(w http.ResponseWriter, r *http.Request) {
	if s.d.Cluster == nil {
		writeErr(w, r, &errkind.Error{Kind: errkind.KindUnavailable, Msg: "this daemon serves no joins"})
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxJoinBody))
	if err != nil {
		writeErr(w, r, err)
		return
	}
	resp, err := s.d.Cluster.Join(r.Context(), r.Header.Get(cluster.AuthHeader), body)
	switch {
	case errors.Is(err, cluster.ErrUnauthorized):
		rancher.WriteError(w, r, http.StatusUnauthorized, err.Error())
	case errors.Is(err, cluster.ErrForbidden):
		s.d.Log.Warn("refused a join with wrong cluster credentials", "remote", r.RemoteAddr)
		rancher.WriteError(w, r, http.StatusForbidden, err.Error())
	case err != nil:
		writeErr(w, r, err)
	default:
		s.d.Log.Info("answered a join", "remote", r.RemoteAddr, "role", resp.Role)
		rancher.WriteJSON(w, r, http.StatusOK, resp)
	}
}

// clusterMembers lists the etcd members: {"data": [...]}.
func (s *Server) clusterMembers(w http.ResponseWriter, r *http.Request) {
	if s.d.Cluster == nil {
		writeErr(w, r, &errkind.Error{Kind: errkind.KindUnavailable, Msg: "this daemon has no etcd member list"})
		return
	}
	members, err := s.d.Cluster.Members(r.Context())
	if err != nil {
		writeErr(w, r, err)
		return
	}
	rancher.WriteJSON(w, r, http.StatusOK, map[string]any{"data": members})
}

// clusterRemoveMember removes a node's etcd member (by node name or hex
// member ID); 204 when done.
func (s *Server) clusterRemoveMember(w http.ResponseWriter, r *http.Request) {
	if s.d.Cluster == nil {
		writeErr(w, r, &errkind.Error{Kind: errkind.KindUnavailable, Msg: "this daemon cannot change etcd members"})
		return
	}
	if err := s.d.Cluster.RemoveMember(r.Context(), r.PathValue("name")); err != nil {
		writeErr(w, r, err)
		return
	}
	s.d.Log.Info("removed an etcd member", "name", r.PathValue("name"))
	w.WriteHeader(http.StatusNoContent)
}
