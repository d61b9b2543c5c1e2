//go:build linux || darwin

package provider

import "syscall"

// statfsFree is the space available to an unprivileged writer on the file
// system of path (statfs: blocks available × block size).
func statfsFree(path string) (uint64, bool) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		return 0, false
	}
	return uint64(st.Bavail) * uint64(st.Bsize), true
}
