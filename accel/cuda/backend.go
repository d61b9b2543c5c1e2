package cuda

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/workload"
)

// Kernel launch geometry (must match dense.cu).
const (
	tileRows   = 64
	tileCols   = 64
	blockDim   = 16
	maxGridDim = 65535 // gridDim.y limit
)

// Backend runs Dense on one CUDA device. It is safe for concurrent use;
// calls are serialised. Close releases the device context.
type Backend struct {
	mu     sync.Mutex
	drv    driver
	ctx    uintptr
	mod    uintptr
	fn     uintptr
	gptMod uintptr
	gptFns map[string]uintptr
	device string
	closed bool
}

var (
	_ workload.Backend  = (*Backend)(nil)
	_ workload.Parallel = (*Backend)(nil)
)

// Open loads the driver, creates a context on device 0, loads the embedded
// PTX and runs the known-answer self-test against the CPU backend. It returns
// an error wrapping ErrNoDriver or ErrNoDevice when the machine has no usable
// CUDA, ErrSelfTestMismatch when the device computes different bits, or an
// *Error for any other driver failure.
func Open() (*Backend, error) {
	drv, err := loadDriver()
	if err != nil {
		return nil, err
	}
	return openWith(drv, densePTX)
}

func openWith(drv driver, ptx []byte) (*Backend, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	n, err := drv.init()
	if err != nil {
		return nil, err
	}
	if n < 1 {
		return nil, fmt.Errorf("%w: the driver reports %d devices", ErrNoDevice, n)
	}
	name, err := drv.deviceName(0)
	if err != nil {
		return nil, err
	}
	ctx, err := drv.createContext(0)
	if err != nil {
		return nil, err
	}
	b := &Backend{drv: drv, ctx: ctx, device: name}
	if b.mod, err = drv.loadModule(ptx); err != nil {
		_ = drv.destroyContext(ctx)
		return nil, err
	}
	if b.fn, err = drv.getFunction(b.mod, KernelName); err != nil {
		_ = b.Close()
		return nil, err
	}
	if err := b.loadGPT(); err != nil {
		_ = b.Close()
		return nil, err
	}
	if err := SelfTest(context.Background(), b); err != nil {
		_ = b.Close()
		return nil, err
	}
	return b, nil
}

// Name returns "cuda".
func (b *Backend) Name() string { return "cuda" }

// Device returns the CUDA device's name.
func (b *Backend) Device() string { return b.device }

// ForEach implements workload.Parallel on the host's cores, as the CPU
// backend does: the gemm inputs are generated on the host, in parallel,
// before they are copied to the device. It needs no device and no lock.
func (b *Backend) ForEach(ctx context.Context, n int, f func(i int)) error {
	return cpu.New().ForEach(ctx, n, f)
}

// Close unloads the module and destroys the context. Further calls fail with
// ErrClosed.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil
	}
	b.closed = true
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var errs []error
	if err := b.drv.setCurrent(b.ctx); err != nil {
		errs = append(errs, err)
	}
	for _, m := range []uintptr{b.mod, b.gptMod} {
		if m == 0 {
			continue
		}
		if err := b.drv.unloadModule(m); err != nil {
			errs = append(errs, err)
		}
	}
	if err := b.drv.destroyContext(b.ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// denseLaunchable refuses a dense shape the kernel cannot launch: each
// operand (rows·in, out·in, rows·out) over workload.MaxDenseElements, the
// bound the chain and every backend keep (the kernel indexes with 64-bit
// products, so 2^31 values are fine), a dimension over an int32 kernel
// argument, or more column tiles than a grid holds. The gpt kernels' Dense
// refused operands of exactly 2^31 values, which the chain admits and the
// CPU backend runs (TestAttackGPTShapeAtTheDenseBoundFailsOnTheGPU).
func denseLaunchable(rows, in, out int) error {
	if rows < 1 || in < 1 || out < 1 || rows > math.MaxInt32 || in > math.MaxInt32 || out > math.MaxInt32 ||
		rows > workload.MaxDenseElements/in || out > workload.MaxDenseElements/in || rows > workload.MaxDenseElements/out ||
		(out+tileCols-1)/tileCols > maxGridDim {
		return fmt.Errorf("%w: dense rows=%d in=%d out=%d exceed the CUDA launch limits", workload.ErrShape, rows, in, out)
	}
	return nil
}

// Dense implements workload.Backend on the device.
func (b *Backend) Dense(ctx context.Context, x []float32, rows, in int, w []float32, bias []float32, out int, relu bool) (y []float32, err error) {
	if err := workload.ValidateDense(x, rows, in, w, bias, out); err != nil {
		return nil, err
	}
	if err := denseLaunchable(rows, in, out); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, ErrClosed
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	d := b.drv
	if err := d.setCurrent(b.ctx); err != nil {
		return nil, err
	}
	var allocs []uint64
	defer func() {
		for _, p := range allocs {
			if ferr := d.memFree(p); ferr != nil && err == nil {
				y, err = nil, ferr
			}
		}
	}()
	upload := func(v []float32) (uint64, error) {
		p, err := d.memAlloc(uint64(4 * len(v)))
		if err != nil {
			return 0, err
		}
		allocs = append(allocs, p)
		return p, d.htod(p, v)
	}
	dx, err := upload(x)
	if err != nil {
		return nil, err
	}
	dw, err := upload(w)
	if err != nil {
		return nil, err
	}
	var db uint64
	hasBias := int32(0)
	if bias != nil {
		if db, err = upload(bias); err != nil {
			return nil, err
		}
		hasBias = 1
	}
	dy, err := d.memAlloc(uint64(4 * rows * out))
	if err != nil {
		return nil, err
	}
	allocs = append(allocs, dy)
	reluFlag := int32(0)
	if relu {
		reluFlag = 1
	}
	grid := [3]uint32{uint32((rows + tileRows - 1) / tileRows), uint32((out + tileCols - 1) / tileCols), 1}
	if err := d.launch(b.fn, grid, [3]uint32{blockDim, blockDim, 1}, 0,
		dx, dw, db, dy, int32(rows), int32(in), int32(out), hasBias, reluFlag); err != nil {
		return nil, err
	}
	if err := d.synchronize(); err != nil {
		return nil, err
	}
	y = make([]float32, rows*out)
	if err := d.dtoh(y, dy); err != nil {
		return nil, err
	}
	return y, nil
}
