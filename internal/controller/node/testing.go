package node

// RegistryOf returns a registry holding exactly refs, for tests of the
// controllers that place copies on disks.
func RegistryOf(refs ...DiskRef) *Registry {
	r := NewRegistry()
	r.replace(refs)
	return r
}
