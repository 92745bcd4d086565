package api

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"

	"github.com/plinth-storage/plinth/internal/api/rancher"
	"github.com/plinth-storage/plinth/internal/apitypes"
	"github.com/plinth-storage/plinth/internal/controller/node"
	"github.com/plinth-storage/plinth/internal/errkind"
	"github.com/plinth-storage/plinth/internal/model"
)

// withLiveCapacity replaces the stored capacity and disk pressure of this
// node's ready disks with their current values (and the current setting).
func (s *Server) withLiveCapacity(ctx context.Context, n model.Node) model.Node {
	if n.Name != s.d.NodeID {
		return n
	}
	pct := node.MinimalAvailablePercent(ctx, s.d.Settings)
	live := make(map[string]model.DiskStatus, len(n.Status.Disks))
	for name, st := range n.Status.Disks {
		if maxBytes, avail, ok := s.d.Disks.Capacity(st.DiskUUID); ok {
			st.StorageMaximum, st.StorageAvailable = maxBytes, avail
			st.Pressure = ""
			spec := n.Disks[name]
			if room := node.NewRoom(maxBytes, avail, spec.StorageReserved, pct); !room.HasRoom(0) {
				st.Pressure = room.Explain(name, spec.Path, n.Name, 0)
			}
		}
		live[name] = st
	}
	n.Status.Disks = live
	return n
}

// copyCount is how many copies of backing images a node holds.
type copyCount struct{ all, ready int }

// copiesByNode counts every backing image's copies by the node they are on.
func (s *Server) copiesByNode(ctx context.Context) (map[string]copyCount, error) {
	bis, _, err := s.d.BIs.List(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]copyCount{}
	for _, bi := range bis {
		for _, c := range bi.Value.Status.Copies {
			n := out[c.NodeID]
			n.all++
			if c.State == apitypes.StateReady {
				n.ready++
			}
			out[c.NodeID] = n
		}
	}
	return out, nil
}

func toNode(n model.Node, copies copyCount) apitypes.Node {
	out := apitypes.Node{Name: n.Name, Address: n.Address, AllowScheduling: true,
		Disks: map[string]apitypes.DiskInfo{}, Conditions: map[string]apitypes.Condition{}, Tags: []string{},
		State: n.Status.State, StateSince: formatTime(n.Status.StateSince), Version: n.Status.Version,
		Copies: copies.all, ReadyCopies: copies.ready}
	for name, spec := range n.Disks {
		st := n.Status.Disks[name]
		spec.Tags = nonNilSlice(spec.Tags)
		out.Disks[name] = apitypes.DiskInfo{
			DiskSpec: spec, DiskUUID: st.DiskUUID,
			StorageMaximum: st.StorageMaximum, StorageAvailable: st.StorageAvailable,
			Conditions: diskConditions(st, spec),
		}
	}
	out.Conditions["Ready"] = nodeReady(n)
	return out
}

// nodeReady is Longhorn's node Ready condition from the node's state.
func nodeReady(n model.Node) apitypes.Condition {
	c := apitypes.Condition{Type: "Ready", Status: "True", LastTransitionTime: formatTime(n.Status.StateSince)}
	switch n.Status.State {
	case model.NodeUp:
	case model.NodeDown:
		c.Status, c.Reason = "False", "NodeDown"
		c.Message = fmt.Sprintf("node %s has held no lease since %s: its plinth daemon stopped or cannot reach etcd", n.Name, formatTime(n.Status.StateSince))
	default:
		c.Status, c.Reason, c.Message = "Unknown", "NodeStateUnknown", fmt.Sprintf("no node has looked at node %s's lease yet", n.Name)
	}
	return c
}

func diskConditions(st model.DiskStatus, spec apitypes.DiskSpec) map[string]apitypes.Condition {
	ready := apitypes.Condition{Type: "Ready", Status: "True", LastProbeTime: formatTime(st.CheckedAt)}
	if !st.Ready {
		ready.Status, ready.Reason, ready.Message = "False", "DiskNotReady", st.Message
	}
	sched := apitypes.Condition{Type: "Schedulable", Status: "True", LastProbeTime: formatTime(st.CheckedAt)}
	switch {
	case !st.Ready || !spec.AllowScheduling:
		sched.Status, sched.Reason = "False", "DiskNotSchedulable"
	case st.Pressure != "":
		sched.Status, sched.Reason, sched.Message = "False", "DiskPressure", st.Pressure
	}
	return map[string]apitypes.Condition{"Ready": ready, "Schedulable": sched}
}

func (s *Server) listNodes(w http.ResponseWriter, r *http.Request) {
	list, _, err := s.d.Nodes.List(r.Context())
	if err != nil {
		writeErr(w, r, err)
		return
	}
	copies, err := s.copiesByNode(r.Context())
	if err != nil {
		writeErr(w, r, err)
		return
	}
	out := make([]apitypes.Node, 0, len(list))
	for _, n := range list {
		out = append(out, toNode(s.withLiveCapacity(r.Context(), n.Value), copies[n.Name]))
	}
	s.schemas.WriteCollection(w, r, schemaNode, out)
}

func (s *Server) getNode(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	n, err := get(r, s.d.Nodes, "node", name)
	if err != nil {
		writeErr(w, r, err)
		return
	}
	copies, err := s.copiesByNode(r.Context())
	if err != nil {
		writeErr(w, r, err)
		return
	}
	res := toNode(s.withLiveCapacity(r.Context(), n.Value), copies[name])
	s.schemas.WriteResource(w, r, http.StatusOK, schemaNode, &res)
}

func (s *Server) nodeAction(w http.ResponseWriter, r *http.Request) {
	if a := r.URL.Query().Get("action"); a != "diskUpdate" {
		writeErr(w, r, errkind.BadRequest("unknown action %q on a node: use diskUpdate", a))
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
	_, err := mutate(r, s.d.Nodes, "node", name, func(n *model.Node) error {
		n.Disks = in.Disks
		return nil
	})
	if err != nil {
		writeErr(w, r, err)
		return
	}
	if name == s.d.NodeID {
		// Have the disks examined now (through the runner, never beside
		// it) so the reply carries their UUIDs.
		if err := s.d.NodeRun.EnqueueAndWait(r.Context(), name); err != nil {
			writeErr(w, r, err)
			return
		}
	}
	s.getNode(w, r)
}

// checkDisks validates a diskUpdate's disks.
func checkDisks(disks map[string]apitypes.DiskSpec) error {
	if disks == nil {
		return errkind.Invalid("disks is required: the node's complete set of disks, keyed by name")
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
			return errkind.Invalid("disks %s and %s have the same path %s", other, name, d.Path)
		}
		paths[d.Path] = name
		disks[name] = d
	}
	return nil
}

func checkDisk(name string, d *apitypes.DiskSpec) error {
	if !filepath.IsAbs(d.Path) {
		return errkind.Invalid("disk %s: path %q must be absolute", name, d.Path)
	}
	d.Path = filepath.Clean(d.Path)
	switch d.DiskType {
	case "", apitypes.DiskTypeFilesystem:
		d.DiskType = apitypes.DiskTypeFilesystem
		if fi, err := os.Stat(d.Path); err != nil || !fi.IsDir() {
			return errkind.Invalid("disk %s: path %s does not exist or is not a directory; create it first", name, d.Path)
		}
	case apitypes.DiskTypeBlock:
		if err := checkBlockPath(name, d); err != nil {
			return err
		}
	default:
		return errkind.Invalid("disk %s: unknown diskType %q: use filesystem (data engine v1) or block (data engine v2)", name, d.DiskType)
	}
	if d.StorageReserved < 0 {
		return errkind.Invalid("disk %s: storageReserved must not be negative", name)
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
				return errkind.Conflict("disk %s still holds a copy of backing image %s; clean it up (backingImageCleanup) before removing the disk", name, bi.Name)
			}
		}
	}
	return nil
}

// minBlockDisk is the smallest block disk plinth formats: room for the
// metadata and a useful number of 2 MiB clusters.
const minBlockDisk = 64 << 20

// checkBlockPath accepts a block device, an existing regular file, or a
// missing file together with the size to create it with.
func checkBlockPath(name string, d *apitypes.DiskSpec) error {
	fi, err := os.Stat(d.Path)
	switch {
	case err == nil && fi.IsDir():
		return errkind.Invalid("disk %s: %s is a directory; a block disk is a block device or a file (use diskType filesystem for a directory)", name, d.Path)
	case err == nil:
		return nil
	case !os.IsNotExist(err):
		return errkind.Invalid("disk %s: %v", name, err)
	case d.Size <= 0:
		return errkind.Invalid("disk %s: %s does not exist; give size (bytes) to create it as a file, or use a block device", name, d.Path)
	case d.Size < minBlockDisk:
		return errkind.Invalid("disk %s: size %d is too small; a block disk needs at least %d bytes", name, d.Size, minBlockDisk)
	}
	if fi, err := os.Stat(filepath.Dir(d.Path)); err != nil || !fi.IsDir() {
		return errkind.Invalid("disk %s: the folder of %s does not exist; create it first", name, d.Path)
	}
	return nil
}
