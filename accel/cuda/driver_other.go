//go:build !(linux && (amd64 || arm64))

package cuda

import (
	"fmt"
	"runtime"
)

func openSystemDriver() (driver, error) {
	return nil, fmt.Errorf("%w: the CUDA backend supports linux/amd64 and linux/arm64, not %s/%s", ErrNoDriver, runtime.GOOS, runtime.GOARCH)
}
