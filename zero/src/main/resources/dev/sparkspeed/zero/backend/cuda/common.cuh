// Shared by every kernel file. Compiled by NVRTC with no system headers, so the 16-bit
// conversions are written out here: bf16 rounds exactly as DType.floatToBf16 does (round to
// nearest even, NaN kept quiet), and fp16 uses the hardware's round-to-nearest-even convert.

#define DT_FP32 0
#define DT_BF16 1
#define DT_FP16 2

__device__ __forceinline__ float bf16_to_float(unsigned short h) {
  return __uint_as_float(((unsigned int)h) << 16);
}

__device__ __forceinline__ unsigned short float_to_bf16(float f) {
  unsigned int bits = __float_as_uint(f);
  if ((bits & 0x7fffffffu) > 0x7f800000u) {
    return (unsigned short)((bits >> 16) | 0x0040u);
  }
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return (unsigned short)(bits >> 16);
}

__device__ __forceinline__ float f16_to_float(unsigned short h) {
  float f;
  asm("cvt.f32.f16 %0, %1;" : "=f"(f) : "h"(h));
  return f;
}

__device__ __forceinline__ unsigned short float_to_f16(float f) {
  unsigned short h;
  asm("cvt.rn.f16.f32 %0, %1;" : "=h"(h) : "f"(f));
  return h;
}

// Element i of a buffer of the given dtype, widened to float.
__device__ __forceinline__ float load_f(const void* p, long long i, int dtype) {
  if (dtype == DT_FP32) return ((const float*)p)[i];
  unsigned short h = ((const unsigned short*)p)[i];
  return dtype == DT_BF16 ? bf16_to_float(h) : f16_to_float(h);
}

__device__ __forceinline__ void store_f(void* p, long long i, int dtype, float v) {
  if (dtype == DT_FP32) {
    ((float*)p)[i] = v;
  } else {
    ((unsigned short*)p)[i] = dtype == DT_BF16 ? float_to_bf16(v) : float_to_f16(v);
  }
}

__device__ __forceinline__ bool is_finite_f(float x) {
  return (__float_as_uint(x) & 0x7f800000u) != 0x7f800000u;
}

__device__ __forceinline__ float neg_inf_f() { return __uint_as_float(0xff800000u); }

__device__ __forceinline__ float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ __forceinline__ float warp_max(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

__device__ __forceinline__ double warp_sum_d(double v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// Block-wide sum, the result in every thread. blockDim.x must be a multiple of 32. The first
// barrier lets a previous call's readers finish with `scratch` before it is overwritten.
__device__ float block_sum(float v, float* scratch) {
  int lane = threadIdx.x & 31;
  int warp = threadIdx.x >> 5;
  int warps = blockDim.x >> 5;
  v = warp_sum(v);
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float total = 0.f;
  for (int w = 0; w < warps; w++) total += scratch[w];
  return total;
}

__device__ float block_max(float v, float* scratch) {
  int lane = threadIdx.x & 31;
  int warp = threadIdx.x >> 5;
  int warps = blockDim.x >> 5;
  v = warp_max(v);
  __syncthreads();
  if (lane == 0) scratch[warp] = v;
  __syncthreads();
  float m = scratch[0];
  for (int w = 1; w < warps; w++) m = fmaxf(m, scratch[w]);
  return m;
}

// Grid-stride loop over n elements, 64-bit indices (flat shards can exceed 2^31 elements).
#define FOR_EACH(i, n) \
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < (n); \
       i += (long long)gridDim.x * blockDim.x)
