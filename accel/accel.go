// Package accel selects an execution backend for aichain workloads by name:
// "cpu" (package accel/cpu, pure Go on every core), "cuda" (package
// accel/cuda, NVIDIA GPUs through the driver API loaded at run time) or
// "auto", which uses CUDA only when the driver loads, a device exists and the
// device passes its known-answer self-test against the CPU backend, and falls
// back to the CPU otherwise. All backends produce identical bits.
//
// Backends that hold resources implement io.Closer; release them with Close.
package accel

import (
	"errors"
	"fmt"
	"io"

	"github.com/aichain/aichain/accel/cpu"
	"github.com/aichain/aichain/accel/cuda"
	"github.com/aichain/aichain/workload"
)

// Backend names accepted by Open.
const (
	Auto = "auto"
	CPU  = "cpu"
	CUDA = "cuda"
)

// ErrUnknownBackend reports a backend name other than auto, cpu or cuda.
var ErrUnknownBackend = errors.New("accel: unknown backend")

// Option configures Open.
type Option func(*options)

type options struct {
	logf     func(format string, args ...any)
	openCUDA func() (workload.Backend, error)
}

// WithLogf receives one line saying which backend was chosen and why
// (notably why "auto" fell back to the CPU).
func WithLogf(logf func(format string, args ...any)) Option {
	return func(o *options) { o.logf = logf }
}

func withCUDAOpener(f func() (workload.Backend, error)) Option {
	return func(o *options) { o.openCUDA = f }
}

// Open returns the backend called name ("auto", "cpu" or "cuda").
//
//   - "cpu" always succeeds.
//   - "cuda" fails with the accel/cuda error (wrapping cuda.ErrNoDriver,
//     cuda.ErrNoDevice or cuda.ErrSelfTestMismatch) when CUDA is unusable.
//   - "auto" returns CUDA when it opens and passes its self-test, otherwise
//     the CPU backend, and reports the reason through WithLogf.
func Open(name string, opts ...Option) (workload.Backend, error) {
	o := options{
		logf: func(string, ...any) {},
		openCUDA: func() (workload.Backend, error) {
			b, err := cuda.Open()
			if err != nil {
				return nil, err
			}
			return b, nil
		},
	}
	for _, opt := range opts {
		opt(&o)
	}
	switch name {
	case CPU:
		o.logf("accel: using cpu backend (requested)")
		return cpu.New(), nil
	case CUDA:
		b, err := o.openCUDA()
		if err != nil {
			return nil, fmt.Errorf("accel: cuda backend unavailable: %w", err)
		}
		o.logf("accel: using cuda backend (requested)%s", deviceSuffix(b))
		return b, nil
	case Auto:
		b, err := o.openCUDA()
		if err != nil {
			o.logf("accel: using cpu backend: cuda not used: %v", err)
			return cpu.New(), nil
		}
		o.logf("accel: using cuda backend (auto)%s", deviceSuffix(b))
		return b, nil
	default:
		return nil, fmt.Errorf("%w %q (want %q, %q or %q)", ErrUnknownBackend, name, Auto, CPU, CUDA)
	}
}

func deviceSuffix(b workload.Backend) string {
	if d, ok := b.(interface{ Device() string }); ok {
		return ": " + d.Device()
	}
	return ""
}

// Close releases b's resources when it holds any (the CUDA backend).
func Close(b workload.Backend) error {
	if c, ok := b.(io.Closer); ok {
		return c.Close()
	}
	return nil
}
