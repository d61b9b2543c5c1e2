//go:build !linux && !darwin

package provider

// statfsFree cannot read the free space here: the disk budget is
// fallbackDiskBytes.
func statfsFree(string) (uint64, bool) { return 0, false }
