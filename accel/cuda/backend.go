package cuda

import (
	"context"
	"encoding/hex"
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
	device string
	closed bool
}

var _ workload.Backend = (*Backend)(nil)

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
	if b.mod != 0 {
		if err := b.drv.unloadModule(b.mod); err != nil {
			errs = append(errs, err)
		}
	}
	if err := b.drv.destroyContext(b.ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Dense implements workload.Backend on the device.
func (b *Backend) Dense(ctx context.Context, x []float32, rows, in int, w []float32, bias []float32, out int, relu bool) (y []float32, err error) {
	if err := workload.ValidateDense(x, rows, in, w, bias, out); err != nil {
		return nil, err
	}
	if rows > math.MaxInt32 || in > math.MaxInt32 || out > math.MaxInt32 || (out+tileCols-1)/tileCols > maxGridDim {
		return nil, fmt.Errorf("%w: rows=%d in=%d out=%d exceed the CUDA launch limits", workload.ErrShape, rows, in, out)
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

// selfTestShapes are the Dense known-answer cases: awkward sizes around the
// kernel's 64×64×16 tiles, with and without bias and ReLU.
var selfTestShapes = []struct {
	rows, in, out int
	bias, relu    bool
}{
	{1, 1, 1, false, false},
	{1, 1, 1, true, true},
	{3, 5, 7, true, false},
	{17, 16, 15, false, true},
	{63, 33, 65, true, true},
	{65, 100, 129, false, false},
	{130, 257, 70, true, true},
	{8, 1025, 3, false, false},
}

// selfTestGemm is a small gemm-f32 test vector (workload/testdata).
var selfTestGemm = workload.GemmParams{M: 37, N: 29, K: 41, Seed: 42, ChunkRows: 5}

// SelfTest compares b with the CPU backend, bit for bit, on the Dense
// known-answer shapes (operands include zeros, negative zeros and values
// large enough to overflow) and on the output root of a small gemm-f32 job.
// Any difference is an error wrapping ErrSelfTestMismatch.
func SelfTest(ctx context.Context, b workload.Backend) error {
	ref := cpu.New()
	for i, s := range selfTestShapes {
		x, w, bias := selfTestOperands(uint64(1000+i), s.rows, s.in, s.out, s.bias)
		want, err := ref.Dense(ctx, x, s.rows, s.in, w, bias, s.out, s.relu)
		if err != nil {
			return err
		}
		got, err := b.Dense(ctx, x, s.rows, s.in, w, bias, s.out, s.relu)
		if err != nil {
			return fmt.Errorf("cuda: self-test shape %d×%d→%d: %w", s.rows, s.in, s.out, err)
		}
		if len(got) != len(want) {
			return fmt.Errorf("%w: shape %d×%d→%d: %d values, want %d", ErrSelfTestMismatch, s.rows, s.in, s.out, len(got), len(want))
		}
		for j := range want {
			if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
				return fmt.Errorf("%w: shape %d×%d→%d bias=%v relu=%v: value %d is %#08x, CPU %#08x",
					ErrSelfTestMismatch, s.rows, s.in, s.out, s.bias, s.relu, j, math.Float32bits(got[j]), math.Float32bits(want[j]))
			}
		}
	}
	j, err := workload.NewGemmJob(selfTestGemm)
	if err != nil {
		return err
	}
	want, _, err := workload.OutputRoot(ctx, j, ref)
	if err != nil {
		return err
	}
	got, _, err := workload.OutputRoot(ctx, j, b)
	if err != nil {
		return fmt.Errorf("cuda: self-test gemm: %w", err)
	}
	if got != want {
		return fmt.Errorf("%w: gemm %+v root %s, CPU %s", ErrSelfTestMismatch, selfTestGemm, hex.EncodeToString(got[:]), hex.EncodeToString(want[:]))
	}
	return nil
}

func selfTestOperands(seed uint64, rows, in, out int, withBias bool) (x, w, bias []float32) {
	g := workload.SplitMix64{State: seed}
	val := func() float32 {
		r := g.Next()
		switch r % 37 {
		case 0:
			return 0
		case 1:
			return float32(math.Copysign(0, -1))
		case 2:
			return 2e38
		}
		return workload.UnitFloat(r) * float32(1+r%5)
	}
	x = make([]float32, rows*in)
	for i := range x {
		x[i] = val()
	}
	w = make([]float32, out*in)
	for i := range w {
		w[i] = val()
	}
	if withBias {
		bias = make([]float32, out)
		for i := range bias {
			bias[i] = val()
		}
	}
	return x, w, bias
}
