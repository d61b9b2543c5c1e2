package cuda

import (
	"fmt"
	"math"

	"github.com/aichain/aichain/workload"
)

// launchGPT emulates a gpt.cu kernel with package workload's scalar
// functions (the kernels' definition) on the fake device memory, after
// checking that the launch geometry covers the work as gpt.cu expects.
func (f *fakeDriver) launchGPT(name string, grid, block [3]uint32, shared uint32, args []any) error {
	ptr := func(i int) []float32 { p, _ := args[i].(uint64); return f.mem[p] }
	num := func(i int) int {
		switch v := args[i].(type) {
		case int32:
			return int(v)
		case uint64:
			return int(v)
		}
		return -1
	}
	ints := func(i int) []int32 {
		v := ptr(i)
		out := make([]int32, len(v))
		for j, x := range v {
			out[j] = int32(math.Float32bits(x))
		}
		return out
	}
	var out []float32
	switch name {
	case KernelLayerNorm:
		x, g, b, y, rows, n := ptr(0), ptr(1), ptr(2), ptr(3), num(4), num(5)
		if int(grid[0]) != rows || block[0] != rowBlock {
			return fmt.Errorf("fake: layernorm grid %v block %v for %d rows", grid, block, rows)
		}
		for r := 0; r < rows; r++ {
			workload.LayerNorm32(x[r*n:(r+1)*n], g, b, y[r*n:(r+1)*n])
		}
		out = y[:rows*n]
	case KernelGELU, KernelAdd:
		x, n := ptr(0), num(len(args)-1)
		if int(grid[0])*int(block[0]) < n {
			return fmt.Errorf("fake: %s grid %v block %v for %d values", name, grid, block, n)
		}
		for i := 0; i < n; i++ {
			if name == KernelGELU {
				x[i] = workload.GELU32(x[i])
			} else {
				x[i] += ptr(1)[i]
			}
		}
		out = x[:n]
	case KernelStoreKV:
		qkv, rows, e, sp, kc, vc := ptr(0), num(1), num(2), ints(3), ptr(4), ptr(5)
		if int(grid[0]) != rows {
			return fmt.Errorf("fake: store_kv grid %v for %d rows", grid, rows)
		}
		for r := 0; r < rows; r++ {
			dst := int(sp[2*r]) + int(sp[2*r+1]) - 1
			copy(kc[dst*e:(dst+1)*e], qkv[r*3*e+e:r*3*e+2*e])
			copy(vc[dst*e:(dst+1)*e], qkv[r*3*e+2*e:(r+1)*3*e])
		}
		out = kc
	case KernelAttention:
		return f.attention(grid, shared, args, ptr, num, ints)
	default:
		return fmt.Errorf("fake: unknown kernel %s", name)
	}
	if f.corruptKernel == name && len(out) > 0 {
		out[0] = math.Float32frombits(math.Float32bits(out[0]) ^ 1)
	}
	return nil
}

func (f *fakeDriver) attention(grid [3]uint32, shared uint32, args []any, ptr func(int) []float32, num func(int) int, ints func(int) []int32) error {
	qkv, rows, heads, d, sp, kc, vc, out := ptr(0), num(1), num(2), num(3), ints(4), ptr(5), ptr(6), ptr(7)
	if int(grid[0]) != rows*heads {
		return fmt.Errorf("fake: attention grid %v for %d rows × %d heads", grid, rows, heads)
	}
	e := heads * d
	scale := workload.AttentionScale(d)
	for r := 0; r < rows; r++ {
		base, n := int(sp[2*r]), int(sp[2*r+1])
		if uint32(4*n) > shared {
			return fmt.Errorf("fake: attention over %d positions with %d bytes of shared memory", n, shared)
		}
		for h := 0; h < heads; h++ {
			off := h * d
			workload.AttendHead(qkv[r*3*e+off:r*3*e+off+d], kc[base*e+off:], vc[base*e+off:], n, e, scale,
				make([]float32, n), out[r*e+off:r*e+off+d])
		}
	}
	if f.corruptKernel == KernelAttention {
		out[0] = math.Float32frombits(math.Float32bits(out[0]) ^ 1)
	}
	return nil
}
