// aichain gpt-f32 kernels (docs/gpt-f32.md): LayerNorm, GELU, the residual
// add, the key/value cache store and causal attention, each the same
// sequence of float32 operations as package workload's scalar functions
// (Exp32, Tanh32, GELU32, LayerNorm32, AttendHead). Every add, multiply,
// divide and square root is an explicitly rounded round-to-nearest
// intrinsic (__nvvm_add_rn_f, __nvvm_mul_rn_f, __nvvm_div_rn_f,
// __nvvm_sqrt_rn_f), never fused (built with -ffp-contract=off too), never
// flushed to zero; a − b is written a + (−b), which IEEE 754 defines it as.
// Every sum is one thread's loop in index order: threads only split
// independent outputs (rows, heads, elements, score positions).
//
// Compiled to PTX without the CUDA toolkit by gen-ptx.sh (Debian clang-19).

#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __shared__ __attribute__((shared))
#include <__clang_cuda_builtin_vars.h>

extern "C" __device__ void __syncthreads(void) __asm__("llvm.nvvm.barrier0");

// Float constants by their bit patterns (the specification's table).
#define F32(bits) __builtin_bit_cast(float, (unsigned)(bits))
#define NAN32 F32(0x7FC00000u)
#define INF32 F32(0x7F800000u)
#define EXP_HI F32(0x42B00000u)   // 88
#define EXP_LO F32(0xC2AE0000u)   // -87
#define LOG2E F32(0x3FB8AA3Bu)    // log2(e)
#define LN2_HI F32(0x3F318000u)   // 0.693359375
#define LN2_LO F32(0xB95E8083u)   // -2.12194440e-4
#define TANH_SAT F32(0x41100000u) // 9
#define GELU_C F32(0x3F4C422Au)   // sqrt(2/pi)
#define GELU_K F32(0x3D372713u)   // 0.044715
#define LN_EPS F32(0x3727C5ACu)   // 1e-5

static __device__ inline float add(float a, float b) { return __nvvm_add_rn_f(a, b); }
static __device__ inline float sub(float a, float b) { return __nvvm_add_rn_f(a, -b); }
static __device__ inline float mul(float a, float b) { return __nvvm_mul_rn_f(a, b); }
static __device__ inline float dvd(float a, float b) { return __nvvm_div_rn_f(a, b); }

// exp32 is workload.Exp32.
static __device__ float exp32(float x) {
  if (x != x)
    return NAN32;
  if (x > EXP_HI)
    return INF32;
  if (x < EXP_LO)
    return 0.0f;
  const float t = mul(x, LOG2E);
  const float k = __nvvm_floor_f(add(t, 0.5f));
  float r = sub(x, mul(k, LN2_HI));
  r = sub(r, mul(k, LN2_LO));
  float p = F32(0x39500D01u);   // 1/7!
  p = add(mul(p, r), F32(0x3AB60B61u)); // 1/6!
  p = add(mul(p, r), F32(0x3C088889u)); // 1/5!
  p = add(mul(p, r), F32(0x3D2AAAABu)); // 1/4!
  p = add(mul(p, r), F32(0x3E2AAAABu)); // 1/3!
  p = add(mul(p, r), 0.5f);
  p = add(mul(p, r), 1.0f);
  p = add(mul(p, r), 1.0f);
  const int ki = (int)k; // k is an integer in [-126, 127]: exact
  return mul(p, __builtin_bit_cast(float, (unsigned)(ki + 127) << 23));
}

// tanh32 is workload.Tanh32.
static __device__ float tanh32(float u) {
  const float a = __builtin_bit_cast(float, __builtin_bit_cast(unsigned, u) & 0x7FFFFFFFu);
  if (a != a)
    return NAN32;
  float t = 1.0f;
  if (a < TANH_SAT) {
    const float e = exp32(add(a, a));
    t = sub(1.0f, dvd(2.0f, add(e, 1.0f)));
  }
  return u < 0.0f ? -t : t;
}

// gelu32 is workload.GELU32.
static __device__ float gelu32(float x) {
  const float x3 = mul(mul(x, x), x);
  const float u = mul(GELU_C, add(x, mul(GELU_K, x3)));
  return mul(mul(0.5f, x), add(1.0f, tanh32(u)));
}

// One block per row: thread 0 computes the mean and 1/sqrt(var + eps) with
// the two sequential sums, then every thread normalises a stride of the row.
extern "C" __global__ void aichain_layernorm_f32(const float *__restrict__ x, const float *__restrict__ g,
                                                 const float *__restrict__ b, float *__restrict__ y, int rows,
                                                 int n) {
  __shared__ float stats[2];
  const long long r = blockIdx.x;
  if (r >= rows)
    return;
  const float *xr = x + r * n;
  if (threadIdx.x == 0) {
    const float nf = (float)n;
    float s = 0.0f;
    for (int i = 0; i < n; i++)
      s = add(s, xr[i]);
    const float mean = dvd(s, nf);
    float q = 0.0f;
    for (int i = 0; i < n; i++) {
      const float d = sub(xr[i], mean);
      q = add(q, mul(d, d));
    }
    stats[0] = mean;
    stats[1] = dvd(1.0f, __nvvm_sqrt_rn_f(add(dvd(q, nf), LN_EPS)));
  }
  __syncthreads();
  const float mean = stats[0], rstd = stats[1];
  for (int i = threadIdx.x; i < n; i += blockDim.x)
    y[r * n + i] = add(mul(mul(sub(xr[i], mean), rstd), g[i]), b[i]);
}

// x[i] = gelu32(x[i]) for i < n.
extern "C" __global__ void aichain_gelu_f32(float *__restrict__ x, long long n) {
  const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n)
    x[i] = gelu32(x[i]);
}

// x[i] = x[i] + y[i] for i < n.
extern "C" __global__ void aichain_add_f32(float *__restrict__ x, const float *__restrict__ y, long long n) {
  const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n)
    x[i] = add(x[i], y[i]);
}

// One block per row: its key and value (the 2nd and 3rd thirds of its qkv
// row) go to cache row spans[2r] + spans[2r+1] - 1.
extern "C" __global__ void aichain_store_kv_f32(const float *__restrict__ qkv, int rows, int e,
                                                const int *__restrict__ spans, float *__restrict__ kc,
                                                float *__restrict__ vc) {
  const long long r = blockIdx.x;
  if (r >= rows)
    return;
  const long long dst = (long long)spans[2 * r] + spans[2 * r + 1] - 1;
  const float *row = qkv + r * 3 * e;
  for (int i = threadIdx.x; i < e; i += blockDim.x) {
    kc[dst * e + i] = row[e + i];
    vc[dst * e + i] = row[2 * e + i];
  }
}

// One block per (row, head), attending over the row's n = spans[2r+1]
// cached positions from cache row base = spans[2r]. Scores live in dynamic
// shared memory (n floats). Threads split the positions for the scores and
// exponentials and the head's values for the output; the max, the sum of
// the exponentials and every dot product are sequential loops in order.
extern "C" __global__ void aichain_attention_f32(const float *__restrict__ qkv, int rows, int heads, int d,
                                                 const int *__restrict__ spans, const float *__restrict__ kc,
                                                 const float *__restrict__ vc, float *__restrict__ out) {
  extern __shared__ float sc[];
  __shared__ float stats[2];
  const long long r = blockIdx.x / heads;
  const int h = blockIdx.x % heads;
  if (r >= rows)
    return;
  const int e = heads * d;
  const long long base = spans[2 * r];
  const int n = spans[2 * r + 1];
  const float *q = qkv + r * 3 * e + h * d;
  const float scale = dvd(1.0f, __nvvm_sqrt_rn_f((float)d));
  for (int j = threadIdx.x; j < n; j += blockDim.x) {
    const float *k = kc + (base + j) * e + h * d;
    float s = 0.0f;
    for (int i = 0; i < d; i++)
      s = add(s, mul(q[i], k[i]));
    sc[j] = mul(s, scale);
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    float m = sc[0];
    for (int j = 1; j < n; j++)
      if (sc[j] > m)
        m = sc[j];
    stats[0] = m;
  }
  __syncthreads();
  const float m = stats[0];
  for (int j = threadIdx.x; j < n; j += blockDim.x)
    sc[j] = exp32(sub(sc[j], m));
  __syncthreads();
  if (threadIdx.x == 0) {
    float z = 0.0f;
    for (int j = 0; j < n; j++)
      z = add(z, sc[j]);
    stats[1] = z;
  }
  __syncthreads();
  const float z = stats[1];
  for (int j = threadIdx.x; j < n; j += blockDim.x)
    sc[j] = dvd(sc[j], z);
  __syncthreads();
  for (int i = threadIdx.x; i < d; i += blockDim.x) {
    float acc = 0.0f;
    for (int j = 0; j < n; j++)
      acc = add(acc, mul(sc[j], vc[(base + j) * e + h * d + i]));
    out[r * e + h * d + i] = acc;
  }
}
