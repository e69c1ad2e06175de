// Token + position embeddings. tokens (B,T) int32; wte (V,C); wpe (maxT,C); out (B,T,C).

extern "C" __global__ void encoder_forward_kernel(float* out, const int* tokens, const float* wte,
                                                  const float* wpe, int B, int T, int C) {
  FOR_EACH(i, (long long)B * T * C) {
    long long bt = i / C;
    int c = (int)(i - bt * C);
    int t = (int)(bt % T);
    out[i] = wte[(long long)tokens[bt] * C + c] + wpe[(long long)t * C + c];
  }
}

// dwpe (T,C) += sum over b of dout (B,T,C): one thread per (t, c), no atomics, deterministic.
extern "C" __global__ void encoder_backward_wpe_kernel(float* dwpe, const float* dout, int B, int T,
                                                       int C) {
  FOR_EACH(i, (long long)T * C) {
    float acc = 0.f;
    for (int b = 0; b < B; b++) acc += dout[(long long)b * T * C + i];
    dwpe[i] += acc;
  }
}

// dwte (V,C) += dout (B,T,C) scattered by token; repeated tokens meet in atomics.
extern "C" __global__ void encoder_backward_wte_kernel(float* dwte, const float* dout,
                                                       const int* tokens, int B, int T, int C) {
  FOR_EACH(i, (long long)B * T * C) {
    long long bt = i / C;
    int c = (int)(i - bt * C);
    atomicAdd(&dwte[(long long)tokens[bt] * C + c], dout[i]);
  }
}
