package vectors

import (
	"fmt"
	"io"
	"os"

	"github.com/aichain/aichain/workload"
)

// ReadNPYFile reads a .npy file (refusing it by size before reading) and
// parses it with workload.ParseNPY.
func ReadNPYFile(path, expectedSHA256 string, lim workload.Limits) (*workload.Matrix, error) {
	data, err := readLimited(path, maxFileBytes(lim))
	if err != nil {
		return nil, err
	}
	return workload.ParseNPY(data, expectedSHA256, lim)
}

// ReadSafetensorsFile reads a safetensors file (refusing it by size before
// reading) and parses it with workload.ParseSafetensors.
func ReadSafetensorsFile(path, expectedSHA256 string, lim workload.Limits) (*workload.Model, error) {
	data, err := readLimited(path, maxFileBytes(lim))
	if err != nil {
		return nil, err
	}
	return workload.ParseSafetensors(data, expectedSHA256, lim)
}

// maxFileBytes is the file size limit the parsers apply to lim.
func maxFileBytes(lim workload.Limits) int64 {
	if lim.MaxFileBytes > 0 {
		return lim.MaxFileBytes
	}
	return workload.DefaultLimits().MaxFileBytes
}

// readLimited reads a whole file, refusing files above max bytes before
// reading them.
func readLimited(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.Size() > max {
		return nil, fmt.Errorf("%w: %s is %d bytes, limit %d", workload.ErrTooLarge, path, st.Size(), max)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%w: %s exceeds %d bytes", workload.ErrTooLarge, path, max)
	}
	return data, nil
}
