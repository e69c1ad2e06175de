// The non-GEMM half of causal self-attention: the masked softmax and its backward pass, over
// rows of (B*NH*T) length-T scores. One warp per row; 8 rows per 256-thread block. The scores
// already carry the 1/sqrt(head size) scale (applied as the GEMM's alpha). Every score buffer of
// one call has the same dtype (DT_FP32, or 16 bits when the attention GEMMs run in 16 bits);
// arithmetic is in float either way.

// att[t2] = softmax over t2 <= t of preatt, 0 for t2 > t (t = row % T).
extern "C" __global__ void causal_softmax_forward_kernel(void* att, const void* preatt, int dtype,
                                                         long long rows, int T) {
  long long row = (long long)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
  int lane = threadIdx.x & 31;
  if (row >= rows) return;
  int t = (int)(row % T);
  long long base = row * T;
  float m = neg_inf_f();
  for (int t2 = lane; t2 <= t; t2 += 32) m = fmaxf(m, load_f(preatt, base + t2, dtype));
  m = warp_max(m);
  float sum = 0.f;
  for (int t2 = lane; t2 <= t; t2 += 32) sum += expf(load_f(preatt, base + t2, dtype) - m);
  float inv = 1.0f / warp_sum(sum);
  for (int t2 = lane; t2 < T; t2 += 32) {
    float y = t2 <= t ? expf(load_f(preatt, base + t2, dtype) - m) * inv : 0.f;
    store_f(att, base + t2, dtype, y);
  }
}

// dpreatt[t2] = att[t2] * (datt[t2] - sum over t3 <= t of att[t3] * datt[t3]); 0 for t2 > t.
extern "C" __global__ void causal_softmax_backward_kernel(void* dpreatt, const void* att,
                                                          const void* datt, int dtype,
                                                          long long rows, int T) {
  long long row = (long long)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
  int lane = threadIdx.x & 31;
  if (row >= rows) return;
  int t = (int)(row % T);
  long long base = row * T;
  float dot = 0.f;
  for (int t2 = lane; t2 <= t; t2 += 32) {
    dot += load_f(att, base + t2, dtype) * load_f(datt, base + t2, dtype);
  }
  dot = warp_sum(dot);
  for (int t2 = lane; t2 < T; t2 += 32) {
    float g = 0.f;
    if (t2 <= t) g = load_f(att, base + t2, dtype) * (load_f(datt, base + t2, dtype) - dot);
    store_f(dpreatt, base + t2, dtype, g);
  }
}
