package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/plinth-storage/plinth/internal/apitypes"
)

// NodeList prints every node: its state (up/down) and since when, its
// advertise address, version, disks and copies (ready/all).
func NodeList(ctx context.Context, env *Env) error {
	nodes, err := env.Client.ListNodes(ctx)
	if err != nil {
		return err
	}
	if env.json() {
		return printJSON(env.Out, nodes)
	}
	t := newTable(env.Out, "NAME", "STATE", "SINCE", "ADDRESS", "VERSION", "DISKS", "COPIES")
	for _, n := range nodes {
		t.row(n.Name, orDash(n.State), sinceText(n.StateSince, time.Now()), orDash(n.Address), orDash(n.Version),
			strconv.Itoa(len(n.Disks)), fmt.Sprintf("%d/%d", n.ReadyCopies, n.Copies))
	}
	return t.flush()
}

// sinceText shows an RFC 3339 time as itself and how long ago it was.
func sinceText(stamp string, now time.Time) string {
	at, err := time.Parse(time.RFC3339, stamp)
	if err != nil {
		return orDash(stamp)
	}
	return fmt.Sprintf("%s (%s ago)", stamp, now.Sub(at).Truncate(time.Second))
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// NodeGet prints a node and its disks.
func NodeGet(ctx context.Context, env *Env, id string) error {
	n, err := env.Client.GetNode(ctx, id)
	if err != nil {
		return err
	}
	return printNode(env, n)
}

func printNode(env *Env, n *apitypes.Node) error {
	if env.json() {
		return printJSON(env.Out, n)
	}
	err := details(env.Out, "Name", n.Name, "State", orDash(n.State), "Since", sinceText(n.StateSince, time.Now()),
		"Address", n.Address, "Version", orDash(n.Version), "Copies", fmt.Sprintf("%d ready of %d", n.ReadyCopies, n.Copies),
		"Ready", n.Conditions["Ready"].Status,
		"Schedulable", strconv.FormatBool(n.AllowScheduling), "Tags", strings.Join(n.Tags, ","))
	if err != nil {
		return err
	}
	fmt.Fprintln(env.Out, "\nDisks:")
	names := make([]string, 0, len(n.Disks))
	for d := range n.Disks {
		names = append(names, d)
	}
	sort.Strings(names)
	t := newTable(env.Out, "NAME", "PATH", "TYPE", "UUID", "MAXIMUM", "AVAILABLE", "RESERVED", "SCHEDULABLE", "READY")
	for _, name := range names {
		d := n.Disks[name]
		t.row(name, d.Path, d.DiskType, d.DiskUUID, humanSize(d.StorageMaximum), humanSize(d.StorageAvailable),
			humanSize(d.StorageReserved), strconv.FormatBool(d.AllowScheduling), d.Conditions["Ready"].Status)
	}
	return t.flush()
}

// NodeDiskUpdateOptions are the options of `plinth node disk-update`: the
// whole desired set of disks, from Disks specs or from File (JSON, "-" for
// stdin), not both.
type NodeDiskUpdateOptions struct {
	Node  string
	Disks []string
	File  string
}

// NodeDiskUpdate replaces a node's set of disks. Disks left out are
// removed by the server (when they hold no copies).
func NodeDiskUpdate(ctx context.Context, env *Env, o NodeDiskUpdateOptions) error {
	if (len(o.Disks) == 0) == (o.File == "") {
		return errors.New("give the disks with --disk name=path[,type=...] or with -f FILE, not both")
	}
	var in apitypes.DiskUpdateInput
	var err error
	if o.File != "" {
		in, err = readDiskFile(env, o.File)
	} else {
		in.Disks = map[string]apitypes.DiskSpec{}
		for _, spec := range o.Disks {
			name, d, perr := ParseDiskSpec(spec)
			if perr != nil {
				return perr
			}
			if _, dup := in.Disks[name]; dup {
				return fmt.Errorf("disk %q given twice", name)
			}
			in.Disks[name] = d
		}
	}
	if err != nil {
		return err
	}
	n, err := env.Client.UpdateNodeDisks(ctx, o.Node, in)
	if err != nil {
		return err
	}
	return printNode(env, n)
}

// ParseDiskSpec reads "name=path[,type=filesystem|block][,reserved=SIZE]
// [,size=SIZE][,scheduling=true|false][,tags=a;b]". size creates a block
// disk's file when path does not exist. Scheduling defaults to true: a disk
// someone adds is meant to be used.
func ParseDiskSpec(spec string) (string, apitypes.DiskSpec, error) {
	fields := strings.Split(spec, ",")
	name, path, ok := strings.Cut(fields[0], "=")
	if !ok || name == "" || path == "" {
		return "", apitypes.DiskSpec{}, fmt.Errorf("disk %q: start with name=path", spec)
	}
	d := apitypes.DiskSpec{Path: path, DiskType: apitypes.DiskTypeFilesystem, AllowScheduling: true}
	for _, f := range fields[1:] {
		k, v, _ := strings.Cut(f, "=")
		var err error
		switch k {
		case "type":
			if v != apitypes.DiskTypeFilesystem && v != apitypes.DiskTypeBlock {
				err = fmt.Errorf("type must be filesystem or block, got %q", v)
			}
			d.DiskType = v
		case "reserved":
			d.StorageReserved, err = parseSize(v)
		case "size":
			d.Size, err = parseSize(v)
		case "scheduling":
			d.AllowScheduling, err = strconv.ParseBool(v)
		case "tags":
			d.Tags = strings.Split(v, ";")
		default:
			err = fmt.Errorf("unknown field %q (known: type, reserved, size, scheduling, tags)", k)
		}
		if err != nil {
			return "", apitypes.DiskSpec{}, fmt.Errorf("disk %q: %w", name, err)
		}
	}
	return name, d, nil
}

// readDiskFile reads {"disks": {...}} or a bare {name: spec} map.
func readDiskFile(env *Env, path string) (apitypes.DiskUpdateInput, error) {
	var b []byte
	var err error
	if path == "-" {
		if env.Stdin == nil {
			return apitypes.DiskUpdateInput{}, errors.New("no stdin to read disks from")
		}
		b, err = io.ReadAll(env.Stdin)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return apitypes.DiskUpdateInput{}, fmt.Errorf("read disk file: %w", err)
	}
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil {
		return apitypes.DiskUpdateInput{}, fmt.Errorf("disk file %s is not a JSON object: %w", path, err)
	}
	var in apitypes.DiskUpdateInput
	if _, wrapped := probe["disks"]; wrapped {
		err = json.Unmarshal(b, &in)
	} else {
		err = json.Unmarshal(b, &in.Disks)
	}
	if err != nil {
		return apitypes.DiskUpdateInput{}, fmt.Errorf("disk file %s: %w", path, err)
	}
	return in, nil
}
