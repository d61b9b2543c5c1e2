package cpu

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/aichain/aichain/workload"
)

var _ workload.GPTBackend = (*Backend)(nil)

// GPTKernels returns the backend's gpt-f32 kernels: workload.HostKernels
// with this backend's Dense and every row, head and element range of the
// other operations spread over the backend's goroutines. Each output is
// still computed by one goroutine in the order the specification fixes, so
// the bits are the reference's.
func (b *Backend) GPTKernels() workload.GPTKernels {
	return &workload.HostKernels{Backend: b, For: b.parallelFor}
}

// parallelFor runs f(0..n−1) on up to Workers goroutines.
func (b *Backend) parallelFor(n int, f func(i int)) {
	workers := b.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	if workers <= 1 {
		for i := 0; i < n; i++ {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}
