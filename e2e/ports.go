package e2e

import (
	"math/rand"
	"net"
	"strconv"
	"sync"
	"testing"
)

// Port blocks come from [portsLow, portsHigh): below Linux's ephemeral range
// (32768–60999 by default), from which the kernel takes the local port of
// every outgoing connection. A block chosen there (as 127.0.0.1:0 would) was
// free when checked but could be taken minutes later by a client connection
// of a test running in parallel: a provider then failed to bind its chunk
// server ("address already in use"). The range also stays clear of the
// fixed ports of `make localnet` (26656–26657, 9090, 1317), `make
// localnet-ibc` (chain B's 11317 and 19090) and the chain benchmark (from
// 36756).
const (
	portsLow  = 12000
	portsHigh = 19000
)

var (
	portsMu    sync.Mutex
	portsTaken = map[int]int{} // base → size of each block handed out in this process
)

// freePortBlock returns a base such that the nodes×step ports from it are
// free now, lie outside the ephemeral range and overlap no block handed out
// before in this process (tests run in parallel).
func freePortBlock(t testing.TB, nodes, step int) int {
	t.Helper()
	size := nodes*step + 4
	portsMu.Lock()
	defer portsMu.Unlock()
	for attempt := 0; attempt < 500; attempt++ {
		base := portsLow + rand.Intn(portsHigh-portsLow-size)
		if overlaps(base, size) || !allFree(base, size) {
			continue
		}
		portsTaken[base] = size
		return base
	}
	t.Fatal("no free block of ports on 127.0.0.1 below the ephemeral range")
	return 0
}

// overlaps reports whether [base, base+size) meets a block handed out before.
func overlaps(base, size int) bool {
	for b, n := range portsTaken {
		if base < b+n && b < base+size {
			return true
		}
	}
	return false
}

func allFree(base, size int) bool {
	for p := base; p < base+size; p++ {
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p))
		if err != nil {
			return false
		}
		_ = l.Close()
	}
	return true
}
