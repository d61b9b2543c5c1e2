// Package procio reads how much this process has read, for tests that
// assert a file was read once rather than once per request.
package procio

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// ReadBytes is how many bytes this process has read so far (rchar of
// /proc/self/io: files and sockets). The test is skipped, saying so, where
// the kernel keeps no such count.
func ReadBytes(t testing.TB) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		t.Skip("no /proc/self/io: this kernel does not count the bytes a process reads")
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "rchar: "); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				t.Fatalf("rchar %q: %v", v, err)
			}
			return n
		}
	}
	t.Skip("no rchar in /proc/self/io")
	return 0
}
