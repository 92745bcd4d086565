package api

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"sort"

	"github.com/plinth-storage/plinth/internal/api/rancher"
	"github.com/plinth-storage/plinth/internal/apierr"
	"github.com/plinth-storage/plinth/internal/apitypes"
	v1 "github.com/plinth-storage/plinth/internal/engine/v1"
	"github.com/plinth-storage/plinth/internal/model"
	"github.com/plinth-storage/plinth/internal/store"
)

func copyID(bi model.BackingImage) v1.CopyID { return v1.CopyID{Name: bi.Name, UUID: bi.UUID} }

func toNode(n model.Node) apitypes.Node {
	out := apitypes.Node{Name: n.Name, Address: n.Address, AllowScheduling: true,
		Disks: map[string]apitypes.DiskInfo{}, Conditions: map[string]apitypes.Condition{}, Tags: []string{}}
	for name, spec := range n.Disks {
		st := n.Status.Disks[name]
		spec.Tags = nonNilSlice(spec.Tags)
		out.Disks[name] = apitypes.DiskInfo{
			DiskSpec: spec, DiskUUID: st.DiskUUID,
			StorageMaximum: st.StorageMaximum, StorageAvailable: st.StorageAvailable,
			Conditions: diskConditions(st, spec),
		}
	}
	out.Conditions["Ready"] = apitypes.Condition{Type: "Ready", Status: "True"}
	return out
}

func diskConditions(st model.DiskStatus, spec apitypes.DiskSpec) map[string]apitypes.Condition {
	ready := apitypes.Condition{Type: "Ready", Status: "True", LastProbeTime: formatTime(st.CheckedAt)}
	if !st.Ready {
		ready.Status, ready.Reason, ready.Message = "False", "DiskNotReady", st.Message
	}
	sched := apitypes.Condition{Type: "Schedulable", Status: "True", LastProbeTime: formatTime(st.CheckedAt)}
	if !st.Ready || !spec.AllowScheduling {
		sched.Status, sched.Reason = "False", "DiskNotSchedulable"
	}
	return map[string]apitypes.Condition{"Ready": ready, "Schedulable": sched}
}

func (s *Server) listNodes(w http.ResponseWriter, r *http.Request) {
	list, _, err := s.d.Nodes.List(r.Context())
	if err != nil {
		writeErr(w, r, err)
		return
	}
	out := make([]apitypes.Node, 0, len(list))
	for _, n := range list {
		out = append(out, toNode(n.Value))
	}
	s.schemas.WriteCollection(w, r, schemaNode, out)
}

func (s *Server) getNode(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	n, err := s.d.Nodes.Get(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		err = apierr.NotFound("node %s not found", name)
	}
	if err != nil {
		writeErr(w, r, err)
		return
	}
	res := toNode(n.Value)
	s.schemas.WriteResource(w, r, http.StatusOK, schemaNode, &res)
}

func (s *Server) nodeAction(w http.ResponseWriter, r *http.Request) {
	if a := r.URL.Query().Get("action"); a != "diskUpdate" {
		writeErr(w, r, apierr.BadRequest("unknown action %q on a node: use diskUpdate", a))
		return
	}
	name := r.PathValue("name")
	var in apitypes.DiskUpdateInput
	if err := rancher.ReadInput(r, &in); err != nil {
		writeErr(w, r, err)
		return
	}
	if err := checkDisks(in.Disks); err != nil {
		writeErr(w, r, err)
		return
	}
	if err := s.refuseRemovingUsedDisks(r, name, in.Disks); err != nil {
		writeErr(w, r, err)
		return
	}
	_, err := s.d.Nodes.Mutate(r.Context(), name, func(n *model.Node) error {
		n.Disks = in.Disks
		return nil
	})
	if errors.Is(err, store.ErrNotFound) {
		err = apierr.NotFound("node %s not found", name)
	}
	if err != nil {
		writeErr(w, r, err)
		return
	}
	if name == s.d.NodeID {
		// Examine the disks now so the reply carries their UUIDs.
		if _, err := s.d.NodeCtl.Reconcile(r.Context(), name); err != nil {
			writeErr(w, r, err)
			return
		}
	}
	s.getNode(w, r)
}

// checkDisks validates a diskUpdate's disks.
func checkDisks(disks map[string]apitypes.DiskSpec) error {
	if disks == nil {
		return apierr.Invalid("disks is required: the node's complete set of disks, keyed by name")
	}
	paths := map[string]string{}
	names := make([]string, 0, len(disks))
	for name := range disks {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		d := disks[name]
		if err := checkName("disk", name, maxName); err != nil {
			return err
		}
		if err := checkDisk(name, &d); err != nil {
			return err
		}
		if other, dup := paths[d.Path]; dup {
			return apierr.Invalid("disks %s and %s have the same path %s", other, name, d.Path)
		}
		paths[d.Path] = name
		disks[name] = d
	}
	return nil
}

func checkDisk(name string, d *apitypes.DiskSpec) error {
	switch d.DiskType {
	case "", apitypes.DiskTypeFilesystem:
		d.DiskType = apitypes.DiskTypeFilesystem
	case apitypes.DiskTypeBlock:
		return apierr.Invalid("disk %s: block disks (data engine v2) are not supported by this version; use diskType filesystem", name)
	default:
		return apierr.Invalid("disk %s: unknown diskType %q: use filesystem", name, d.DiskType)
	}
	if !filepath.IsAbs(d.Path) {
		return apierr.Invalid("disk %s: path %q must be absolute", name, d.Path)
	}
	d.Path = filepath.Clean(d.Path)
	if fi, err := os.Stat(d.Path); err != nil || !fi.IsDir() {
		return apierr.Invalid("disk %s: path %s does not exist or is not a directory; create it first", name, d.Path)
	}
	if d.StorageReserved < 0 {
		return apierr.Invalid("disk %s: storageReserved must not be negative", name)
	}
	if d.Tags == nil {
		d.Tags = []string{}
	}
	return nil
}

// refuseRemovingUsedDisks is a 409 when a disk left out of the update
// still holds copies.
func (s *Server) refuseRemovingUsedDisks(r *http.Request, node string, disks map[string]apitypes.DiskSpec) error {
	cur, err := s.d.Nodes.Get(r.Context(), node)
	if err != nil {
		return nil // the Mutate that follows reports it
	}
	bis, _, err := s.d.BIs.List(r.Context())
	if err != nil {
		return err
	}
	for name, st := range cur.Value.Status.Disks {
		if _, kept := disks[name]; kept || st.DiskUUID == "" {
			continue
		}
		for _, bi := range bis {
			if _, used := bi.Value.Status.Copies[st.DiskUUID]; used {
				return apierr.Conflict("disk %s still holds a copy of backing image %s; clean it up (backingImageCleanup) before removing the disk", name, bi.Name)
			}
		}
	}
	return nil
}
