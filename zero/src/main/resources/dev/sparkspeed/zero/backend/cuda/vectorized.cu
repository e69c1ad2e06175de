// Wide-access variants of the hottest memory-bound kernels: 16-byte loads and stores, and the
// softmaxes in two passes over a row instead of three (a running maximum rescales the running
// sum). The launching code picks them only when every buffer is 16-byte aligned and the row
// lengths are multiples of the vector width; otherwise the plain kernels run.

__device__ __forceinline__ float half_bits_to_float(unsigned short h, int is_bf16) {
  return is_bf16 ? bf16_to_float(h) : f16_to_float(h);
}

__device__ __forceinline__ unsigned short float_to_half_bits(float v, int is_bf16) {
  return is_bf16 ? float_to_bf16(v) : float_to_f16(v);
}

__device__ __forceinline__ void unpack8(uint4 u, int is_bf16, float* x) {
  unsigned int w[4] = {u.x, u.y, u.z, u.w};
  for (int j = 0; j < 4; j++) {
    x[2 * j] = half_bits_to_float((unsigned short)(w[j] & 0xffffu), is_bf16);
    x[2 * j + 1] = half_bits_to_float((unsigned short)(w[j] >> 16), is_bf16);
  }
}

__device__ __forceinline__ uint4 pack8(const float* x, int is_bf16) {
  unsigned int w[4];
  for (int j = 0; j < 4; j++) {
    w[j] = (unsigned int)float_to_half_bits(x[2 * j], is_bf16) |
           ((unsigned int)float_to_half_bits(x[2 * j + 1], is_bf16) << 16);
  }
  return make_uint4(w[0], w[1], w[2], w[3]);
}

// dst[i] = 16-bit rounding of src[i], four elements per thread and step; n4 = n / 4.
extern "C" __global__ void cast_f32_to_half4_kernel(uint2* dst, const float4* src, int is_bf16,
                                                    long long n4) {
  FOR_EACH(i, n4) {
    float4 v = src[i];
    uint2 o;
    o.x = (unsigned int)float_to_half_bits(v.x, is_bf16) |
          ((unsigned int)float_to_half_bits(v.y, is_bf16) << 16);
    o.y = (unsigned int)float_to_half_bits(v.z, is_bf16) |
          ((unsigned int)float_to_half_bits(v.w, is_bf16) << 16);
    dst[i] = o;
  }
}

// out (rows, 4·cols4) += bias broadcast over rows. Grid: x over column tiles, y strides rows.
extern "C" __global__ void add_bias4_kernel(float4* out, const float4* bias, long long rows,
                                            int cols4) {
  int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= cols4) return;
  float4 b = bias[c];
  for (long long r = blockIdx.y; r < rows; r += gridDim.y) {
    float4* o = out + r * cols4 + c;
    float4 v = *o;
    v.x += b.x;
    v.y += b.y;
    v.z += b.z;
    v.w += b.w;
    *o = v;
  }
}

// causal_softmax_forward_kernel for 16-bit scores, T a multiple of 8: one warp per row, eight
// scores per lane and load.
extern "C" __global__ void causal_softmax_forward16_kernel(uint4* att, const uint4* preatt,
                                                           int is_bf16, long long rows, int T) {
  long long row = (long long)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
  int lane = threadIdx.x & 31;
  if (row >= rows) return;
  int t = (int)(row % T);
  int chunks = T >> 3;
  int live = (t >> 3) + 1;  // chunks holding at least one unmasked score
  const uint4* src = preatt + row * chunks;
  uint4* dst = att + row * chunks;
  float m = neg_inf_f();
  float s = 0.f;
  float x[8];
  for (int ch = lane; ch < live; ch += 32) {
    unpack8(src[ch], is_bf16, x);
    float cm = neg_inf_f();
    for (int j = 0; j < 8; j++) {
      if (ch * 8 + j <= t) cm = fmaxf(cm, x[j]);
    }
    if (cm > m) {
      s *= expf(m - cm);
      m = cm;
    }
    for (int j = 0; j < 8; j++) {
      if (ch * 8 + j <= t) s += expf(x[j] - m);
    }
  }
  float gm = warp_max(m);
  s = m == neg_inf_f() ? 0.f : s * expf(m - gm);
  float inv = 1.0f / warp_sum(s);
  for (int ch = lane; ch < chunks; ch += 32) {
    float y[8];
    if (ch < live) {
      unpack8(src[ch], is_bf16, x);
      for (int j = 0; j < 8; j++) y[j] = ch * 8 + j <= t ? expf(x[j] - gm) * inv : 0.f;
    } else {
      for (int j = 0; j < 8; j++) y[j] = 0.f;
    }
    dst[ch] = pack8(y, is_bf16);
  }
}

// causal_softmax_backward_kernel for 16-bit scores, T a multiple of 8.
extern "C" __global__ void causal_softmax_backward16_kernel(uint4* dpreatt, const uint4* att,
                                                            const uint4* datt, int is_bf16,
                                                            long long rows, int T) {
  long long row = (long long)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
  int lane = threadIdx.x & 31;
  if (row >= rows) return;
  int t = (int)(row % T);
  int chunks = T >> 3;
  int live = (t >> 3) + 1;
  const uint4* a = att + row * chunks;
  const uint4* d = datt + row * chunks;
  uint4* out = dpreatt + row * chunks;
  float xa[8];
  float xd[8];
  float dot = 0.f;
  for (int ch = lane; ch < live; ch += 32) {
    unpack8(a[ch], is_bf16, xa);
    unpack8(d[ch], is_bf16, xd);
    for (int j = 0; j < 8; j++) {
      if (ch * 8 + j <= t) dot += xa[j] * xd[j];
    }
  }
  dot = warp_sum(dot);
  for (int ch = lane; ch < chunks; ch += 32) {
    float g[8];
    if (ch < live) {
      unpack8(a[ch], is_bf16, xa);
      unpack8(d[ch], is_bf16, xd);
      for (int j = 0; j < 8; j++) g[j] = ch * 8 + j <= t ? xa[j] * (xd[j] - dot) : 0.f;
    } else {
      for (int j = 0; j < 8; j++) g[j] = 0.f;
    }
    out[ch] = pack8(g, is_bf16);
  }
}

// crossentropy_forward_kernel with Vp a multiple of 4: one block per row, float4 accesses, and a
// running maximum so the row is read twice (statistics, then probabilities).
extern "C" __global__ void crossentropy_forward4_kernel(float* losses, float4* probs,
                                                        const float4* logits, const int* targets,
                                                        int rows, int V, int Vp, int ignore_index) {
  __shared__ float scratch[32];
  int row = blockIdx.x;
  if (row >= rows) return;
  int vp4 = Vp >> 2;
  const float4* x = logits + (long long)row * vp4;
  float4* p = probs + (long long)row * vp4;
  float m = neg_inf_f();
  float s = 0.f;
  for (int i = threadIdx.x; i < vp4; i += blockDim.x) {
    float4 v = x[i];
    float e[4] = {v.x, v.y, v.z, v.w};
    float cm = neg_inf_f();
    for (int j = 0; j < 4; j++) {
      if (4 * i + j < V) cm = fmaxf(cm, e[j]);
    }
    if (cm > m) {
      s *= expf(m - cm);
      m = cm;
    }
    for (int j = 0; j < 4; j++) {
      if (4 * i + j < V) s += expf(e[j] - m);
    }
  }
  float gm = block_max(m, scratch);
  s = m == neg_inf_f() ? 0.f : s * expf(m - gm);
  float sum = block_sum(s, scratch);
  float inv = 1.0f / sum;
  for (int i = threadIdx.x; i < vp4; i += blockDim.x) {
    float4 v = x[i];
    float4 o;
    o.x = 4 * i < V ? expf(v.x - gm) * inv : 0.f;
    o.y = 4 * i + 1 < V ? expf(v.y - gm) * inv : 0.f;
    o.z = 4 * i + 2 < V ? expf(v.z - gm) * inv : 0.f;
    o.w = 4 * i + 3 < V ? expf(v.w - gm) * inv : 0.f;
    p[i] = o;
  }
  if (threadIdx.x == 0) {
    store_row_loss(losses, row, targets, (const float*)x, gm, sum, V, ignore_index);
  }
}

// crossentropy_backward_kernel with Vp a multiple of 4.
extern "C" __global__ void crossentropy_backward4_kernel(float4* dlogits, const float4* probs,
                                                         const int* targets, float dloss,
                                                         int rows, int V, int Vp,
                                                         int ignore_index) {
  int row = blockIdx.x;
  if (row >= rows) return;
  int target = targets[row];
  if (target == ignore_index) return;
  int vp4 = Vp >> 2;
  const float4* p = probs + (long long)row * vp4;
  float4* d = dlogits + (long long)row * vp4;
  for (int i = threadIdx.x; i < vp4; i += blockDim.x) {
    float4 q = p[i];
    float4 g = d[i];
    int b = 4 * i;
    if (b < V) g.x += (q.x - (b == target ? 1.f : 0.f)) * dloss;
    if (b + 1 < V) g.y += (q.y - (b + 1 == target ? 1.f : 0.f)) * dloss;
    if (b + 2 < V) g.z += (q.z - (b + 2 == target ? 1.f : 0.f)) * dloss;
    if (b + 3 < V) g.w += (q.w - (b + 3 == target ? 1.f : 0.f)) * dloss;
    d[i] = g;
  }
}
