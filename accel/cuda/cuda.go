// Package cuda is aichain's CUDA execution backend. It implements the
// workload.Backend Dense operation with the kernel in dense.cu, and the
// gpt-f32 kernels (workload.GPTKernels) with dense.cu and gpt.cu, compiled to
// PTX by gen-ptx.sh (Debian clang-19's NVPTX backend, no CUDA toolkit) and
// embedded in the binary. The CUDA driver API is loaded at run time from
// libcuda.so.1 with github.com/ebitengine/purego: no cgo, nothing CUDA at
// build time, and a clear error (ErrNoDriver, ErrNoDevice) where there is no
// NVIDIA driver or GPU.
//
// The kernel follows the workload arithmetic rule (sequential float32 sums
// with __nvvm_mul_rn_f / __nvvm_add_rn_f, never fused), so its results are
// bit-identical to the CPU backend. Open proves it on the device at hand: a
// known-answer self-test compares several Dense shapes, a gemm-f32 output
// root, every gpt-f32 kernel and a gpt-f32 output root with the CPU backend,
// and on any bit difference Open fails with ErrSelfTestMismatch and no
// backend is returned.
package cuda

import (
	_ "embed"
	"errors"
	"fmt"
)

//go:embed dense.ptx
var densePTX []byte

//go:embed gpt.ptx
var gptPTX []byte

// KernelName is the entry point of the Dense kernel in dense.ptx.
const KernelName = "aichain_dense_f32"

// The entry points of the gpt-f32 kernels in gpt.ptx.
const (
	KernelLayerNorm = "aichain_layernorm_f32"
	KernelGELU      = "aichain_gelu_f32"
	KernelAdd       = "aichain_add_f32"
	KernelStoreKV   = "aichain_store_kv_f32"
	KernelAttention = "aichain_attention_f32"
)

// gptKernelNames lists the gpt-f32 kernels, loaded from gpt.ptx by Open.
var gptKernelNames = []string{KernelLayerNorm, KernelGELU, KernelAdd, KernelStoreKV, KernelAttention}

// Errors returned by Open and the backend (test with errors.Is).
var (
	// ErrNoDriver reports that libcuda.so.1 (the NVIDIA driver) cannot be
	// loaded or lacks a required function.
	ErrNoDriver = errors.New("cuda: NVIDIA driver (libcuda.so.1) not available")
	// ErrNoDevice reports a driver without any usable CUDA device.
	ErrNoDevice = errors.New("cuda: no CUDA device")
	// ErrSelfTestMismatch reports a device whose results differ from the CPU
	// backend's bits; such a backend refuses to serve.
	ErrSelfTestMismatch = errors.New("cuda: self-test mismatch against the CPU backend")
	// ErrClosed reports use of a closed backend.
	ErrClosed = errors.New("cuda: backend closed")
)

// CUDA driver result codes this package interprets.
const (
	cudaSuccess             = 0
	cudaErrorStubLibrary    = 34
	cudaErrorNoDriver       = 35 // CUDA_ERROR_INSUFFICIENT_DRIVER
	cudaErrorNoDevice       = 100
	cudaErrorInvalidDevice  = 101
	cudaErrorSystemNotReady = 802
)

// Error is a failed CUDA driver call.
type Error struct {
	// Op is the driver function, e.g. "cuMemAlloc_v2".
	Op string
	// Code is the CUresult.
	Code int
	// Msg is cuGetErrorString's text, when available.
	Msg string
}

func (e *Error) Error() string {
	if e.Msg != "" {
		return fmt.Sprintf("cuda: %s failed: %s (CUresult %d)", e.Op, e.Msg, e.Code)
	}
	return fmt.Sprintf("cuda: %s failed: CUresult %d", e.Op, e.Code)
}

// Unwrap maps the codes that mean "no driver" or "no device" to ErrNoDriver
// and ErrNoDevice.
func (e *Error) Unwrap() error {
	switch e.Code {
	case cudaErrorNoDevice, cudaErrorInvalidDevice:
		return ErrNoDevice
	case cudaErrorStubLibrary, cudaErrorNoDriver, cudaErrorSystemNotReady:
		return ErrNoDriver
	}
	return nil
}

// IsUnavailable reports whether err means that this machine has no usable
// CUDA driver or device (as opposed to a broken one).
func IsUnavailable(err error) bool {
	return errors.Is(err, ErrNoDriver) || errors.Is(err, ErrNoDevice)
}

// PTX returns the embedded PTX of the Dense kernel.
func PTX() []byte { return append([]byte(nil), densePTX...) }

// GPTPTX returns the embedded PTX of the gpt-f32 kernels.
func GPTPTX() []byte { return append([]byte(nil), gptPTX...) }
