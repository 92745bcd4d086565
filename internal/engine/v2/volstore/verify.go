package volstore

import (
	"fmt"
	"sort"
)

// verifyState checks the meaning of decoded metadata against the
// superblock and records problems and leaks in r.
func verifyState(r *Report, sb *superblock, m *metaState) {
	n := sb.dataClusters
	r.Volumes = len(m.volumes)
	if len(m.volumes) > int(sb.maxVolumes) {
		r.problem("%d volumes exceed the %d the store was formatted for", len(m.volumes), sb.maxVolumes)
	}
	names := make(map[string]bool, len(m.volumes))
	uuids := make(map[[16]byte]string, len(m.volumes))
	owned := newBitmap(n)
	dups := map[uint64]bool{}
	for i := range m.volumes {
		v := &m.volumes[i]
		verifyVolume(r, sb, v)
		if names[v.name] {
			r.problem("two volumes are named %q", v.name)
		}
		names[v.name] = true
		if prev, ok := uuids[v.uuid]; ok {
			r.problem("volumes %q and %q have the same UUID", prev, v.name)
		}
		uuids[v.uuid] = v.name
		for _, run := range v.runs {
			lo, hi := physicalInBounds(sb, run)
			for p := lo; p < hi; p++ {
				if owned.get(p) {
					dups[p] = true
				}
				owned.set(p)
			}
		}
	}
	if len(dups) > 0 {
		reportDuplicates(r, sb, m, dups)
	}
	verifyAllocMap(r, sb, owned, m.alloc)
}

// verifyVolume checks one volume's fields and the bounds and overlaps of
// its runs.
func verifyVolume(r *Report, sb *superblock, v *volRecord) {
	if err := validateName(v.name); err != nil {
		r.problem("volume %q: %v", v.name, err)
	}
	if v.uuid == ([16]byte{}) {
		r.problem("volume %q has no UUID", v.name)
	}
	if attrsSize(v.attrs) > MaxAttrBytes {
		r.problem("volume %q: attributes take %d bytes, more than %d", v.name, attrsSize(v.attrs), MaxAttrBytes)
	}
	if err := validateSize(v.size, uint64(sb.clusterSize)); err != nil {
		r.problem("volume %q: %v", v.name, err)
		return
	}
	verifyRuns(r, sb, v)
}

// verifyRuns checks every run of v is inside the volume and the data area
// and that no logical cluster is mapped twice.
func verifyRuns(r *Report, sb *superblock, v *volRecord) {
	logical := clustersFor(v.size, uint64(sb.clusterSize))
	runs := append([]run(nil), v.runs...)
	sort.Slice(runs, func(i, j int) bool { return runs[i].logical < runs[j].logical })
	first, end := sb.firstData(), sb.firstData()+sb.dataClusters
	var next uint64
	for i, run := range runs {
		lo, cnt, phys := uint64(run.logical), uint64(run.count), uint64(run.physical)
		switch {
		case cnt == 0:
			r.problem("volume %q has an empty map run at logical cluster %d", v.name, lo)
		case lo+cnt > logical:
			r.problem("volume %q maps logical clusters %d..%d, beyond its %d clusters", v.name, lo, lo+cnt-1, logical)
		case phys < first || phys+cnt > end:
			r.problem("volume %q maps logical clusters %d..%d to physical clusters %d..%d, outside the data area %d..%d",
				v.name, lo, lo+cnt-1, phys, phys+cnt-1, first, end-1)
		}
		if i > 0 && lo < next {
			r.problem("volume %q maps logical cluster %d twice", v.name, lo)
		}
		next = max(next, lo+cnt)
	}
}

// physicalInBounds returns the part of run's physical clusters that lies in
// the data area, as data cluster indexes [lo, hi).
func physicalInBounds(sb *superblock, run run) (lo, hi uint64) {
	first, n := sb.firstData(), sb.dataClusters
	start, end := uint64(run.physical), uint64(run.physical)+uint64(run.count)
	start, end = max(start, first), min(end, first+n)
	if start >= end {
		return 0, 0
	}
	return start - first, end - first
}

// reportDuplicates names every owner of each physical cluster owned twice.
func reportDuplicates(r *Report, sb *superblock, m *metaState, dups map[uint64]bool) {
	owners := map[uint64][]string{}
	for i := range m.volumes {
		v := &m.volumes[i]
		for _, run := range v.runs {
			lo, hi := physicalInBounds(sb, run)
			for p := lo; p < hi; p++ {
				if dups[p] {
					l := uint64(run.logical) + (p + sb.firstData() - uint64(run.physical))
					owners[p] = append(owners[p], fmt.Sprintf("volume %q logical cluster %d", v.name, l))
				}
			}
		}
	}
	keys := make([]uint64, 0, len(owners))
	for p := range owners {
		keys = append(keys, p)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	for _, p := range keys {
		r.problem("physical cluster %d is owned %d times: %v", p+sb.firstData(), len(owners[p]), owners[p])
	}
}

// verifyAllocMap compares the allocation map with the owners: a cluster
// owned but marked free is a problem (a later writer could hand it out
// twice); one marked used but unowned is a leak.
func verifyAllocMap(r *Report, sb *superblock, owned, alloc bitmap) {
	n, first := sb.dataClusters, sb.firstData()
	for i := n; i < uint64(len(alloc))*64; i++ {
		if alloc.get(i) {
			r.problem("allocation map marks cluster %d, beyond the data area", i+first)
			break
		}
	}
	for i := uint64(0); i < n; i++ {
		o, a := owned.get(i), alloc.get(i)
		switch {
		case o:
			r.OwnedClusters++
			if !a {
				r.problem("cluster %d is owned by a volume but free in the allocation map", i+first)
			}
		case a:
			r.LeakedClusters++
			last := len(r.Leaked) - 1
			if last >= 0 && r.Leaked[last].First+r.Leaked[last].Count == int64(i+first) {
				r.Leaked[last].Count++
			} else {
				r.Leaked = append(r.Leaked, ClusterRange{First: int64(i + first), Count: 1})
			}
		}
	}
}
