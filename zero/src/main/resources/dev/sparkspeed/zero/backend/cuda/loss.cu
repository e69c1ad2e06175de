// Softmax cross-entropy, one block per row. logits and probs are (rows, Vp) of which the first V
// columns are real classes; the padding columns get probability 0 and no gradient.

// losses[row] from the row's softmax statistics (maximum m, sum of exp(x - m)); an ignored row
// costs 0, and an out-of-range label gives a NaN loss, which makes the bad batch visible instead
// of reading garbage.
__device__ __forceinline__ void store_row_loss(float* losses, int row, const int* targets,
                                               const float* x, float m, float sum, int V,
                                               int ignore_index) {
  int target = targets[row];
  if (target == ignore_index) {
    losses[row] = 0.f;
  } else if (target < 0 || target >= V) {
    losses[row] = __uint_as_float(0x7fc00000u);
  } else {
    losses[row] = logf(sum) + m - x[target];
  }
}

extern "C" __global__ void crossentropy_forward_kernel(float* losses, float* probs,
                                                       const float* logits, const int* targets,
                                                       int rows, int V, int Vp, int ignore_index) {
  __shared__ float scratch[32];
  int row = blockIdx.x;
  if (row >= rows) return;
  const float* x = logits + (long long)row * Vp;
  float* p = probs + (long long)row * Vp;
  float m = neg_inf_f();
  for (int i = threadIdx.x; i < V; i += blockDim.x) m = fmaxf(m, x[i]);
  m = block_max(m, scratch);
  float sum = 0.f;
  for (int i = threadIdx.x; i < V; i += blockDim.x) sum += expf(x[i] - m);
  sum = block_sum(sum, scratch);
  float inv = 1.0f / sum;
  for (int i = threadIdx.x; i < Vp; i += blockDim.x) p[i] = i < V ? expf(x[i] - m) * inv : 0.f;
  if (threadIdx.x == 0) store_row_loss(losses, row, targets, x, m, sum, V, ignore_index);
}

// dlogits[i] += (probs[i] - [i == target]) * dloss for i < V, skipping ignored rows.
extern "C" __global__ void crossentropy_backward_kernel(float* dlogits, const float* probs,
                                                        const int* targets, float dloss, int rows,
                                                        int V, int Vp, int ignore_index) {
  int row = blockIdx.x;
  if (row >= rows) return;
  int target = targets[row];
  if (target == ignore_index) return;
  const float* p = probs + (long long)row * Vp;
  float* d = dlogits + (long long)row * Vp;
  for (int i = threadIdx.x; i < V; i += blockDim.x) {
    d[i] += (p[i] - (i == target ? 1.0f : 0.0f)) * dloss;
  }
}
