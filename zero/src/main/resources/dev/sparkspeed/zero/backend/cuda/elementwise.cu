// Elementwise kernels over flat buffers. Launched with a grid-stride loop (FOR_EACH), any grid.

extern "C" __global__ void fill_kernel(void* x, long long n, int dtype, float value) {
  FOR_EACH(i, n) { store_f(x, i, dtype, value); }
}

extern "C" __global__ void fill_i32_kernel(int* x, long long n, int value) {
  FOR_EACH(i, n) { x[i] = value; }
}

extern "C" __global__ void scale_kernel(float* x, long long n, float s) {
  FOR_EACH(i, n) { x[i] *= s; }
}

extern "C" __global__ void axpy_kernel(float* y, const float* x, long long n, float a) {
  FOR_EACH(i, n) { y[i] += a * x[i]; }
}

// dst = src converted between FP32, BF16 and FP16 (through float, rounding once).
extern "C" __global__ void cast_kernel(void* dst, int dst_type, const void* src, int src_type,
                                       long long n) {
  FOR_EACH(i, n) { store_f(dst, i, dst_type, load_f(src, i, src_type)); }
}

// partials[blockIdx.x] = sum of squares of this block's share, in double.
extern "C" __global__ void sum_squares_kernel(double* partials, const void* x, long long n,
                                              int dtype) {
  __shared__ double scratch[32];
  double acc = 0.0;
  FOR_EACH(i, n) {
    double v = (double)load_f(x, i, dtype);
    acc += v * v;
  }
  acc = warp_sum_d(acc);
  int lane = threadIdx.x & 31;
  int warp = threadIdx.x >> 5;
  if (lane == 0) scratch[warp] = acc;
  __syncthreads();
  if (threadIdx.x == 0) {
    double total = 0.0;
    for (int w = 0; w < (int)(blockDim.x >> 5); w++) total += scratch[w];
    partials[blockIdx.x] = total;
  }
}

// *flag = 1 when any element is NaN or infinite; the caller zeroes flag first.
extern "C" __global__ void non_finite_kernel(int* flag, const void* x, long long n, int dtype) {
  FOR_EACH(i, n) {
    if (!is_finite_f(load_f(x, i, dtype))) *flag = 1;
  }
}

extern "C" __global__ void residual_forward_kernel(float* out, const float* a, const float* b,
                                                   long long n) {
  FOR_EACH(i, n) { out[i] = a[i] + b[i]; }
}

extern "C" __global__ void residual_backward_kernel(float* da, float* db, const float* dout,
                                                    long long n) {
  FOR_EACH(i, n) {
    float d = dout[i];
    da[i] += d;
    db[i] += d;
  }
}

// Activation kinds, in the order of dev.sparkspeed.zero.backend.Activation.
#define ACT_GELU 0
#define ACT_RELU 1
#define ACT_TANH 2
#define ACT_NONE 3
#define GELU_SCALE 0.7978845608028654f  // sqrt(2 / pi)

extern "C" __global__ void activation_forward_kernel(int kind, float* out, const float* in,
                                                     long long n) {
  FOR_EACH(i, n) {
    float x = in[i];
    float y;
    if (kind == ACT_GELU) {
      y = 0.5f * x * (1.0f + tanhf(GELU_SCALE * (x + 0.044715f * x * x * x)));
    } else if (kind == ACT_RELU) {
      y = x > 0.f ? x : 0.f;
    } else if (kind == ACT_TANH) {
      y = tanhf(x);
    } else {
      y = x;
    }
    out[i] = y;
  }
}

extern "C" __global__ void activation_backward_kernel(int kind, float* din, const float* in,
                                                      const float* dout, long long n) {
  FOR_EACH(i, n) {
    float x = in[i];
    float g;
    if (kind == ACT_GELU) {
      float cube = 0.044715f * x * x * x;
      float arg = GELU_SCALE * (x + cube);
      float t = tanhf(arg);
      float ch = coshf(arg);
      float sech2 = 1.0f / (ch * ch);
      g = 0.5f * (1.0f + t) + 0.5f * x * sech2 * GELU_SCALE * (1.0f + 3.0f * 0.044715f * x * x);
    } else if (kind == ACT_RELU) {
      g = x > 0.f ? 1.f : 0.f;
    } else if (kind == ACT_TANH) {
      float t = tanhf(x);
      g = 1.0f - t * t;
    } else {
      g = 1.0f;
    }
    din[i] += g * dout[i];
  }
}

// out (rows, cols) += bias (cols) broadcast over rows.
extern "C" __global__ void add_bias_kernel(float* out, const float* bias, long long rows,
                                           int cols) {
  FOR_EACH(i, rows * cols) { out[i] += bias[i % cols]; }
}

// sums (cols) += column sums of x (rows, cols). Grid: x over column tiles of blockDim.x,
// y over chunks of rows_per_block rows; one atomic per column per chunk.
extern "C" __global__ void column_sum_kernel(float* sums, const float* x, int rows, int cols,
                                             int rows_per_block) {
  int c = blockIdx.x * blockDim.x + threadIdx.x;
  if (c >= cols) return;
  int r0 = blockIdx.y * rows_per_block;
  int r1 = min(rows, r0 + rows_per_block);
  float acc = 0.f;
  for (int r = r0; r < r1; r++) acc += x[(long long)r * cols + c];
  atomicAdd(&sums[c], acc);
}

extern "C" __global__ void mse_forward_kernel(float* losses, const float* pred, const float* target,
                                              int rows) {
  FOR_EACH(i, rows) {
    float d = pred[i] - target[i];
    losses[i] = d * d;
  }
}

extern "C" __global__ void mse_backward_kernel(float* dpred, const float* pred, const float* target,
                                               float dloss, int rows) {
  FOR_EACH(i, rows) { dpred[i] += 2.0f * (pred[i] - target[i]) * dloss; }
}
