package cuda

import (
	"context"
	"fmt"
	"math"

	"github.com/aichain/aichain/workload"
)

// fakeDriver emulates a CUDA device in Go: device memory is a map of
// buffers and a launch of the Dense kernel runs workload.Reference on them.
// It checks the launch geometry and tracks every allocation, context and
// module, so tests can prove the backend's plumbing and cleanup.
type fakeDriver struct {
	devices    int
	initErr    error
	allocErrAt int // fail the n-th allocation (1-based); 0 = never
	corrupt    bool
	corruptAt  int // corrupt only from the n-th launch on (1-based)
	// corruptKernel, when set, corrupts every launch of that gpt kernel.
	corruptKernel string

	mem      map[uint64][]float32
	next     uint64
	allocs   int
	launches int
	current  uintptr
	contexts map[uintptr]bool
	modules  map[uintptr]bool
}

func newFake() *fakeDriver {
	return &fakeDriver{devices: 1, mem: map[uint64][]float32{}, next: 0x1000, contexts: map[uintptr]bool{}, modules: map[uintptr]bool{}}
}

func (f *fakeDriver) init() (int, error) { return f.devices, f.initErr }

func (f *fakeDriver) deviceName(int) (string, error) { return "Fake GPU", nil }

func (f *fakeDriver) createContext(int) (uintptr, error) {
	c := uintptr(len(f.contexts) + 7)
	f.contexts[c] = true
	f.current = c
	return c, nil
}

func (f *fakeDriver) setCurrent(ctx uintptr) error {
	if !f.contexts[ctx] {
		return &Error{Op: "cuCtxSetCurrent", Code: 201}
	}
	f.current = ctx
	return nil
}

func (f *fakeDriver) destroyContext(ctx uintptr) error {
	if !f.contexts[ctx] {
		return &Error{Op: "cuCtxDestroy_v2", Code: 201}
	}
	delete(f.contexts, ctx)
	return nil
}

func (f *fakeDriver) loadModule(image []byte) (uintptr, error) {
	if len(image) == 0 {
		return 0, &Error{Op: "cuModuleLoadData", Code: 218}
	}
	m := uintptr(len(f.modules) + 100)
	f.modules[m] = true
	return m, nil
}

func (f *fakeDriver) unloadModule(mod uintptr) error {
	delete(f.modules, mod)
	return nil
}

func (f *fakeDriver) getFunction(mod uintptr, name string) (uintptr, error) {
	if f.modules[mod] && name == KernelName {
		return 0xF00, nil
	}
	for i, n := range gptKernelNames {
		if f.modules[mod] && name == n {
			return uintptr(0xF01 + i), nil
		}
	}
	return 0, &Error{Op: "cuModuleGetFunction", Code: 500}
}

func (f *fakeDriver) memsetZero(p uint64, n uint64) error {
	m, ok := f.mem[p]
	if !ok || uint64(len(m)) < n {
		return &Error{Op: "cuMemsetD32_v2", Code: 1}
	}
	clear(m[:n])
	return nil
}

func (f *fakeDriver) memAlloc(bytes uint64) (uint64, error) {
	f.allocs++
	if f.allocErrAt > 0 && f.allocs == f.allocErrAt {
		return 0, &Error{Op: "cuMemAlloc_v2", Code: 2, Msg: "out of memory"}
	}
	if bytes%4 != 0 || f.current == 0 {
		return 0, &Error{Op: "cuMemAlloc_v2", Code: 1}
	}
	p := f.next
	f.next += bytes + 256
	f.mem[p] = make([]float32, bytes/4)
	return p, nil
}

func (f *fakeDriver) memFree(p uint64) error {
	if _, ok := f.mem[p]; !ok {
		return &Error{Op: "cuMemFree_v2", Code: 1}
	}
	delete(f.mem, p)
	return nil
}

func (f *fakeDriver) htod(dst uint64, src []float32) error {
	m, ok := f.mem[dst]
	if !ok || len(m) != len(src) {
		return &Error{Op: "cuMemcpyHtoD_v2", Code: 1}
	}
	copy(m, src)
	return nil
}

func (f *fakeDriver) dtoh(dst []float32, src uint64) error {
	// src may point inside a buffer (a download from an offset).
	for base, m := range f.mem {
		if src >= base && src < base+4*uint64(len(m)) && (src-base)%4 == 0 {
			off := int(src-base) / 4
			if off+len(dst) > len(m) {
				break
			}
			copy(dst, m[off:])
			return nil
		}
	}
	return &Error{Op: "cuMemcpyDtoH_v2", Code: 1}
}

func (f *fakeDriver) launch(fn uintptr, grid, block [3]uint32, shared uint32, args ...any) error {
	f.launches++
	if fn > 0xF00 && fn <= uintptr(0xF00+len(gptKernelNames)) {
		return f.launchGPT(gptKernelNames[fn-0xF01], grid, block, shared, args)
	}
	if fn != 0xF00 || len(args) != 9 {
		return fmt.Errorf("fake: bad launch of %#x with %d args", fn, len(args))
	}
	ptr := func(i int) []float32 { p, _ := args[i].(uint64); return f.mem[p] }
	num := func(i int) int { n, _ := args[i].(int32); return int(n) }
	x, w, bias, y := ptr(0), ptr(1), ptr(2), ptr(3)
	rows, in, out, hasBias, relu := num(4), num(5), num(6), num(7), num(8)
	if block != [3]uint32{16, 16, 1} || int(grid[0])*64 < rows || int(grid[1])*64 < out || grid[2] != 1 {
		return fmt.Errorf("fake: grid %v block %v do not cover %d×%d", grid, block, rows, out)
	}
	if hasBias == 0 {
		bias = nil
	}
	r, err := workload.Reference{}.Dense(context.Background(), x, rows, in, w, bias, out, relu == 1)
	if err != nil {
		return err
	}
	if len(y) != len(r) {
		return fmt.Errorf("fake: output buffer of %d values for %d", len(y), len(r))
	}
	copy(y, r)
	if f.corrupt && f.launches >= f.corruptAt {
		y[len(y)-1] = math.Float32frombits(math.Float32bits(y[len(y)-1]) ^ 1)
	}
	return nil
}

func (f *fakeDriver) synchronize() error { return nil }
