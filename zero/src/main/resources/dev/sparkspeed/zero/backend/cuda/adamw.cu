// Fused AdamW over a flat FP32 shard, DeepSpeed's semantics (FusedAdam, adam_w_mode):
//   g = grad * grad_scale
//   m = beta1 m + (1 - beta1) g;  v = beta2 v + (1 - beta2) g^2
//   update = (m / bc1) / (sqrt(v) / sqrt(bc2) + eps) + weight_decay * p
//   p -= lr * update
// bc1 = 1 - beta1^step and bc2 = 1 - beta2^step are computed on the host in double.

extern "C" __global__ void adamw_kernel(float* param, const float* grad, float* m, float* v,
                                        long long n, float lr, float beta1, float beta2, float eps,
                                        float weight_decay, float grad_scale, float bc1,
                                        float sqrt_bc2) {
  FOR_EACH(i, n) {
    float g = grad[i] * grad_scale;
    float mi = beta1 * m[i] + (1.0f - beta1) * g;
    float vi = beta2 * v[i] + (1.0f - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    float p = param[i];
    float update = (mi / bc1) / (sqrtf(vi) / sqrt_bc2 + eps) + weight_decay * p;
    param[i] = p - lr * update;
  }
}
