// aichain Dense kernel under the workload arithmetic rule (see package
// github.com/aichain/aichain/workload):
//
//   y[r][o] = finish(sum_{i=0..in-1} x[r][i] * w[o][i])
//
// Each output element is ONE thread's sequential sum in index order from
// +0.0f, every product rounded to float32 before the add. __nvvm_mul_rn_f and
// __nvvm_add_rn_f are round-to-nearest multiply and add that the compiler
// never fuses into an FMA (built with -ffp-contract=off as well). The bias is
// added after the whole sum; ReLU(v) = v > 0 ? v : +0; a NaN result is stored
// as the canonical 0x7FC00000. Shared-memory tiling over k only changes where
// operands are read from, never the order of a sum; tail tiles stop at `in`
// instead of padding the sum.
//
// Compiled to PTX without the CUDA toolkit by gen-ptx.sh (Debian clang-19).

#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __shared__ __attribute__((shared))
#include <__clang_cuda_builtin_vars.h>

extern "C" __device__ void __syncthreads(void) __asm__("llvm.nvvm.barrier0");

#define BM 64 // rows per block
#define BN 64 // outputs per block
#define BK 16 // k per shared-memory tile
#define TM 4  // rows per thread
#define TN 4  // outputs per thread
// Blocks are 16×16 threads: thread (tx, ty) computes rows ty + 16·i and
// outputs tx + 16·j of its block's 64×64 tile.

extern "C" __global__ void aichain_dense_f32(const float *__restrict__ x, const float *__restrict__ w,
                                             const float *__restrict__ bias, float *__restrict__ y, int rows,
                                             int in, int out, int has_bias, int relu) {
  __shared__ float xs[BK][BM + 1];
  __shared__ float ws[BK][BN + 1];
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int tid = ty * 16 + tx;
  const long long row0 = (long long)blockIdx.x * BM;
  const long long col0 = (long long)blockIdx.y * BN;

  float acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; i++)
#pragma unroll
    for (int j = 0; j < TN; j++)
      acc[i][j] = 0.0f;

  for (int k0 = 0; k0 < in; k0 += BK) {
    const int kn = in - k0 < BK ? in - k0 : BK;
    for (int l = tid; l < BM * BK; l += 256) {
      const int r = l / BK, kk = l % BK;
      const long long gr = row0 + r;
      xs[kk][r] = (gr < rows && kk < kn) ? x[gr * in + k0 + kk] : 0.0f;
      const long long gc = col0 + r;
      ws[kk][r] = (gc < out && kk < kn) ? w[gc * in + k0 + kk] : 0.0f;
    }
    __syncthreads();
    for (int kk = 0; kk < kn; kk++) {
      float a[TM], b[TN];
#pragma unroll
      for (int i = 0; i < TM; i++)
        a[i] = xs[kk][ty + 16 * i];
#pragma unroll
      for (int j = 0; j < TN; j++)
        b[j] = ws[kk][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < TM; i++)
#pragma unroll
        for (int j = 0; j < TN; j++)
          acc[i][j] = __nvvm_add_rn_f(acc[i][j], __nvvm_mul_rn_f(a[i], b[j]));
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < TM; i++) {
    const long long r = row0 + ty + 16 * i;
    if (r >= rows)
      continue;
#pragma unroll
    for (int j = 0; j < TN; j++) {
      const long long c = col0 + tx + 16 * j;
      if (c >= out)
        continue;
      float s = acc[i][j];
      if (has_bias)
        s = __nvvm_add_rn_f(s, bias[c]);
      if (relu && !(s > 0.0f))
        s = 0.0f;
      if (s != s)
        s = __builtin_nanf("");
      y[r * out + c] = s;
    }
  }
}
