package cuda

// driver is the subset of the CUDA driver API the backend uses. The real
// implementation calls libcuda.so.1 through purego; tests substitute a fake.
// All calls of one backend are serialised and made with its context current
// on a locked OS thread.
type driver interface {
	// init calls cuInit and returns the device count.
	init() (int, error)
	deviceName(ordinal int) (string, error)
	createContext(ordinal int) (uintptr, error)
	setCurrent(ctx uintptr) error
	destroyContext(ctx uintptr) error
	loadModule(image []byte) (uintptr, error)
	unloadModule(mod uintptr) error
	getFunction(mod uintptr, name string) (uintptr, error)
	memAlloc(bytes uint64) (uint64, error)
	memFree(ptr uint64) error
	htod(dst uint64, src []float32) error
	dtoh(dst []float32, src uint64) error
	// memsetZero sets n float32 (4-byte words) at ptr to zero.
	memsetZero(ptr uint64, n uint64) error
	// launch runs fn; every arg is a uint64 (device pointer) or an int32.
	launch(fn uintptr, grid, block [3]uint32, sharedBytes uint32, args ...any) error
	synchronize() error
}

// loadDriver opens the system's CUDA driver; it is a variable so tests can
// replace it.
var loadDriver = openSystemDriver
