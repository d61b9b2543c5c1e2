//go:build linux && (amd64 || arm64)

package cuda

import (
	"fmt"
	"runtime"
	"unsafe"

	"github.com/ebitengine/purego"
)

// libDriver calls libcuda.so.1 through purego.
type libDriver struct {
	cuInit              func(flags uint32) int32
	cuDeviceGetCount    func(count *int32) int32
	cuDeviceGet         func(dev *int32, ordinal int32) int32
	cuDeviceGetName     func(name *byte, length int32, dev int32) int32
	cuCtxCreate         func(ctx *uintptr, flags uint32, dev int32) int32
	cuCtxSetCurrent     func(ctx uintptr) int32
	cuCtxDestroy        func(ctx uintptr) int32
	cuModuleLoadData    func(mod *uintptr, image unsafe.Pointer) int32
	cuModuleUnload      func(mod uintptr) int32
	cuModuleGetFunction func(fn *uintptr, mod uintptr, name *byte) int32
	cuMemAlloc          func(ptr *uint64, bytes uintptr) int32
	cuMemFree           func(ptr uint64) int32
	cuMemcpyHtoD        func(dst uint64, src unsafe.Pointer, bytes uintptr) int32
	cuMemcpyDtoH        func(dst unsafe.Pointer, src uint64, bytes uintptr) int32
	cuMemsetD32         func(dst uint64, value uint32, n uintptr) int32
	cuLaunchKernel      func(fn uintptr, gx, gy, gz, bx, by, bz, shared uint32, stream uintptr, params unsafe.Pointer, extra unsafe.Pointer) int32
	cuCtxSynchronize    func() int32
	cuGetErrorString    func(code int32, str **byte) int32
}

func openSystemDriver() (driver, error) {
	lib, err := purego.Dlopen("libcuda.so.1", purego.RTLD_NOW|purego.RTLD_GLOBAL)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoDriver, err)
	}
	d := &libDriver{}
	syms := []struct {
		fn   any
		name string
	}{
		{&d.cuInit, "cuInit"},
		{&d.cuDeviceGetCount, "cuDeviceGetCount"},
		{&d.cuDeviceGet, "cuDeviceGet"},
		{&d.cuDeviceGetName, "cuDeviceGetName"},
		{&d.cuCtxCreate, "cuCtxCreate_v2"},
		{&d.cuCtxSetCurrent, "cuCtxSetCurrent"},
		{&d.cuCtxDestroy, "cuCtxDestroy_v2"},
		{&d.cuModuleLoadData, "cuModuleLoadData"},
		{&d.cuModuleUnload, "cuModuleUnload"},
		{&d.cuModuleGetFunction, "cuModuleGetFunction"},
		{&d.cuMemAlloc, "cuMemAlloc_v2"},
		{&d.cuMemFree, "cuMemFree_v2"},
		{&d.cuMemcpyHtoD, "cuMemcpyHtoD_v2"},
		{&d.cuMemcpyDtoH, "cuMemcpyDtoH_v2"},
		{&d.cuMemsetD32, "cuMemsetD32_v2"},
		{&d.cuLaunchKernel, "cuLaunchKernel"},
		{&d.cuCtxSynchronize, "cuCtxSynchronize"},
		{&d.cuGetErrorString, "cuGetErrorString"},
	}
	for _, s := range syms {
		sym, err := purego.Dlsym(lib, s.name)
		if err != nil {
			_ = purego.Dlclose(lib)
			return nil, fmt.Errorf("%w: libcuda.so.1 lacks %s: %v", ErrNoDriver, s.name, err)
		}
		purego.RegisterFunc(s.fn, sym)
	}
	return d, nil
}

func (d *libDriver) check(op string, code int32) error {
	if code == cudaSuccess {
		return nil
	}
	e := &Error{Op: op, Code: int(code)}
	var s *byte
	if d.cuGetErrorString(code, &s) == cudaSuccess && s != nil {
		e.Msg = cString(s)
	}
	return e
}

// cString copies a NUL-terminated C string of at most 1 KiB.
func cString(p *byte) string {
	b := unsafe.Slice(p, 1024)
	for i, c := range b {
		if c == 0 {
			return string(b[:i])
		}
	}
	return string(b)
}

func (d *libDriver) init() (int, error) {
	if err := d.check("cuInit", d.cuInit(0)); err != nil {
		return 0, err
	}
	var n int32
	if err := d.check("cuDeviceGetCount", d.cuDeviceGetCount(&n)); err != nil {
		return 0, err
	}
	return int(n), nil
}

func (d *libDriver) device(ordinal int) (int32, error) {
	var dev int32
	return dev, d.check("cuDeviceGet", d.cuDeviceGet(&dev, int32(ordinal)))
}

func (d *libDriver) deviceName(ordinal int) (string, error) {
	dev, err := d.device(ordinal)
	if err != nil {
		return "", err
	}
	buf := make([]byte, 256)
	if err := d.check("cuDeviceGetName", d.cuDeviceGetName(&buf[0], int32(len(buf)), dev)); err != nil {
		return "", err
	}
	return cString(&buf[0]), nil
}

func (d *libDriver) createContext(ordinal int) (uintptr, error) {
	dev, err := d.device(ordinal)
	if err != nil {
		return 0, err
	}
	var ctx uintptr
	return ctx, d.check("cuCtxCreate_v2", d.cuCtxCreate(&ctx, 0, dev))
}

func (d *libDriver) setCurrent(ctx uintptr) error {
	return d.check("cuCtxSetCurrent", d.cuCtxSetCurrent(ctx))
}

func (d *libDriver) destroyContext(ctx uintptr) error {
	return d.check("cuCtxDestroy_v2", d.cuCtxDestroy(ctx))
}

func (d *libDriver) loadModule(image []byte) (uintptr, error) {
	img := append(append([]byte(nil), image...), 0) // PTX must be NUL-terminated
	var mod uintptr
	err := d.check("cuModuleLoadData", d.cuModuleLoadData(&mod, unsafe.Pointer(&img[0])))
	runtime.KeepAlive(img)
	return mod, err
}

func (d *libDriver) unloadModule(mod uintptr) error {
	return d.check("cuModuleUnload", d.cuModuleUnload(mod))
}

func (d *libDriver) getFunction(mod uintptr, name string) (uintptr, error) {
	n := append([]byte(name), 0)
	var fn uintptr
	err := d.check("cuModuleGetFunction", d.cuModuleGetFunction(&fn, mod, &n[0]))
	runtime.KeepAlive(n)
	return fn, err
}

func (d *libDriver) memAlloc(bytes uint64) (uint64, error) {
	var p uint64
	return p, d.check("cuMemAlloc_v2", d.cuMemAlloc(&p, uintptr(bytes)))
}

func (d *libDriver) memFree(p uint64) error {
	return d.check("cuMemFree_v2", d.cuMemFree(p))
}

func (d *libDriver) htod(dst uint64, src []float32) error {
	if len(src) == 0 {
		return nil
	}
	err := d.check("cuMemcpyHtoD_v2", d.cuMemcpyHtoD(dst, unsafe.Pointer(&src[0]), uintptr(4*len(src))))
	runtime.KeepAlive(src)
	return err
}

func (d *libDriver) dtoh(dst []float32, src uint64) error {
	if len(dst) == 0 {
		return nil
	}
	err := d.check("cuMemcpyDtoH_v2", d.cuMemcpyDtoH(unsafe.Pointer(&dst[0]), src, uintptr(4*len(dst))))
	runtime.KeepAlive(dst)
	return err
}

func (d *libDriver) memsetZero(dst uint64, n uint64) error {
	if n == 0 {
		return nil
	}
	return d.check("cuMemsetD32_v2", d.cuMemsetD32(dst, 0, uintptr(n)))
}

func (d *libDriver) launch(fn uintptr, grid, block [3]uint32, sharedBytes uint32, args ...any) error {
	// kernelParams is an array of pointers to the argument values. Both the
	// values and the array live in Go memory, pinned for the call.
	var pin runtime.Pinner
	defer pin.Unpin()
	params := make([]unsafe.Pointer, len(args))
	for i, a := range args {
		switch v := a.(type) {
		case uint64:
			p := new(uint64)
			*p = v
			pin.Pin(p)
			params[i] = unsafe.Pointer(p)
		case int32:
			p := new(int32)
			*p = v
			pin.Pin(p)
			params[i] = unsafe.Pointer(p)
		default:
			return fmt.Errorf("cuda: kernel argument %d has unsupported type %T", i, a)
		}
	}
	var pp unsafe.Pointer
	if len(params) > 0 {
		pin.Pin(&params[0])
		pp = unsafe.Pointer(&params[0])
	}
	return d.check("cuLaunchKernel", d.cuLaunchKernel(fn, grid[0], grid[1], grid[2], block[0], block[1], block[2], sharedBytes, 0, pp, nil))
}

func (d *libDriver) synchronize() error {
	return d.check("cuCtxSynchronize", d.cuCtxSynchronize())
}
