// The non-GEMM half of causal self-attention: the masked softmax and its backward pass, over
// rows of (B*NH*T) length-T scores. One warp per row; 8 rows per 256-thread block. The scores
// already carry the 1/sqrt(head size) scale (applied as the GEMM's alpha).

// att[t2] = softmax over t2 <= t of preatt, 0 for t2 > t (t = row % T).
extern "C" __global__ void causal_softmax_forward_kernel(float* att, const float* preatt,
                                                         long long rows, int T) {
  long long row = (long long)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
  int lane = threadIdx.x & 31;
  if (row >= rows) return;
  int t = (int)(row % T);
  const float* x = preatt + row * T;
  float* y = att + row * T;
  float m = neg_inf_f();
  for (int t2 = lane; t2 <= t; t2 += 32) m = fmaxf(m, x[t2]);
  m = warp_max(m);
  float sum = 0.f;
  for (int t2 = lane; t2 <= t; t2 += 32) sum += expf(x[t2] - m);
  float inv = 1.0f / warp_sum(sum);
  for (int t2 = lane; t2 < T; t2 += 32) y[t2] = t2 <= t ? expf(x[t2] - m) * inv : 0.f;
}

// dpreatt[t2] = att[t2] * (datt[t2] - sum over t3 <= t of att[t3] * datt[t3]); 0 for t2 > t.
extern "C" __global__ void causal_softmax_backward_kernel(float* dpreatt, const float* att,
                                                          const float* datt, long long rows,
                                                          int T) {
  long long row = (long long)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
  int lane = threadIdx.x & 31;
  if (row >= rows) return;
  int t = (int)(row % T);
  const float* a = att + row * T;
  const float* da = datt + row * T;
  float dot = 0.f;
  for (int t2 = lane; t2 <= t; t2 += 32) dot += a[t2] * da[t2];
  dot = warp_sum(dot);
  float* out = dpreatt + row * T;
  for (int t2 = lane; t2 < T; t2 += 32) out[t2] = t2 <= t ? a[t2] * (da[t2] - dot) : 0.f;
}
