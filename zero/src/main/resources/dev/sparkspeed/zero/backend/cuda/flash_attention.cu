// Causal self-attention without the T×T score matrix (the tiling of FlashAttention-2): BF16
// operands on tensor cores (mma.sync m16n8k16, FP32 accumulation), head size 64, T a multiple of
// 64. Scores, probabilities and their gradients live in registers and shared memory one 64×64
// tile at a time; the forward pass keeps only each row's log-sum-exp and a BF16 copy of the
// output for the backward pass.
//
// q, k, v are read from the packed BF16 qkv (B, T, 3C): head h of sequence b is the (T, 64)
// block at columns h·64 (q), C + h·64 (k), 2C + h·64 (v). Block: 4 warps, 16 query (forward) or
// key (backward) rows per warp. Fragment layouts are those of the PTX ISA for m16n8k16: g = lane/4
// names a row (and g + 8), c = lane%4 a pair of columns (2c, 2c+1) (and 2c+8, 2c+9).

#define FA_TILE 64
#define FA_HS 64
#define FA_LD 72  // shared-memory row stride in elements: rows start 4 banks apart

__device__ __forceinline__ void mma_bf16_16816(float* d, const unsigned* a, const unsigned* b) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
  __trap();  // BF16 mma needs sm_80; the launching code never picks these kernels below it
#else
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
      "{%8,%9}, {%0,%1,%2,%3};"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
#endif
}

// Two floats rounded (to nearest even) into one register of two BF16, lo in the low half.
__device__ __forceinline__ unsigned pack_bf16x2(float lo, float hi) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
  return (unsigned)float_to_bf16(lo) | ((unsigned)float_to_bf16(hi) << 16);
#else
  unsigned r;
  asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
  return r;
#endif
}

__device__ __forceinline__ unsigned ld_u32(const unsigned short* p) {
  return *(const unsigned*)p;
}

// Two elements of different rows (a column pair of a "col" B operand read from a row-major tile).
__device__ __forceinline__ unsigned ld_pair_rows(const unsigned short* p, int ld) {
  return (unsigned)p[0] | ((unsigned)p[ld] << 16);
}

// A fragment of rows [r0, r0+16) × columns [k0, k0+16) of a row-major BF16 tile.
__device__ __forceinline__ void load_a(unsigned* a, const unsigned short* tile, int ld, int r0,
                                       int k0, int g, int c) {
  const unsigned short* p = tile + (r0 + g) * ld + k0 + 2 * c;
  a[0] = ld_u32(p);
  a[1] = ld_u32(p + 8 * ld);
  a[2] = ld_u32(p + 8);
  a[3] = ld_u32(p + 8 * ld + 8);
}

// B fragment (k × n = 16 × 8) when B[k][n] = tile[n0 + n][k0 + k] (the tile holds Bᵀ row-major).
__device__ __forceinline__ void load_b_t(unsigned* b, const unsigned short* tile, int ld, int n0,
                                         int k0, int g, int c) {
  const unsigned short* p = tile + (n0 + g) * ld + k0 + 2 * c;
  b[0] = ld_u32(p);
  b[1] = ld_u32(p + 8);
}

// B fragment when B[k][n] = tile[k0 + k][n0 + n] (the tile holds B row-major): two 8 × 8 blocks
// read transposed by ldmatrix, lanes 0-15 naming rows k0..k0+15 (each 16-byte aligned).
__device__ __forceinline__ void load_b(unsigned* b, const unsigned short* tile, int ld, int n0,
                                       int k0, int g, int c) {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
  const unsigned short* p = tile + (k0 + 2 * c) * ld + n0 + g;
  b[0] = ld_pair_rows(p, ld);
  b[1] = ld_pair_rows(p + 8 * ld, ld);
#else
  int lane = threadIdx.x & 31;
  unsigned long long row;
  asm("cvta.to.shared.u64 %0, %1;" : "=l"(row) : "l"(tile + (k0 + (lane & 15)) * ld + n0));
  asm volatile("ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16 {%0, %1}, [%2];"
               : "=r"(b[0]), "=r"(b[1])
               : "r"((unsigned)row));
#endif
}

// A fragment (16 × 16) from two accumulator tiles (16 × 8 each) of the same rows: the layout of
// an m16n8 result is that of the A operand's halves.
__device__ __forceinline__ void acc_to_a(unsigned* a, const float* lo, const float* hi) {
  a[0] = pack_bf16x2(lo[0], lo[1]);
  a[1] = pack_bf16x2(lo[2], lo[3]);
  a[2] = pack_bf16x2(hi[0], hi[1]);
  a[3] = pack_bf16x2(hi[2], hi[3]);
}

#define FA_THREADS 128
// Where a thread works: the block's sequence b and head h (grid y is b·NH + h), and its warp, row
// group g and column pair c in the mma fragments.
struct FaPlace {
  int b, h, warp, g, c;
};

__device__ __forceinline__ FaPlace fa_place(int NH) {
  FaPlace p;
  p.b = blockIdx.y / NH;
  p.h = blockIdx.y % NH;
  p.warp = threadIdx.x >> 5;
  p.g = (threadIdx.x & 31) >> 2;
  p.c = threadIdx.x & 3;
  return p;
}

#define FA_CHUNKS (FA_TILE * FA_HS / 8 / FA_THREADS)  // 16-byte chunks per thread and tile

// Starts copying a 64 × 64 BF16 block (row stride rs in elements, rows 16-byte aligned) into a
// padded shared tile without passing through registers (cp.async, sm_80); cp_async_wait_all()
// then __syncthreads() make it visible.
__device__ __forceinline__ void load_tile_async(unsigned short* tile, const unsigned short* src,
                                                long long rs) {
#pragma unroll
  for (int j = 0; j < FA_CHUNKS; j++) {
    int i = threadIdx.x + j * FA_THREADS;
    int r = i / (FA_HS / 8);
    int col = (i % (FA_HS / 8)) * 8;
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ < 800
    *(uint4*)(tile + r * FA_LD + col) = *(const uint4*)(src + r * rs + col);
#else
    unsigned long long dst;
    asm("cvta.to.shared.u64 %0, %1;" : "=l"(dst) : "l"(tile + r * FA_LD + col));
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16;" ::"r"((unsigned)dst),
                 "l"(src + r * rs + col));
#endif
  }
}

__device__ __forceinline__ void cp_async_wait_all() {
#if !defined(__CUDA_ARCH__) || __CUDA_ARCH__ >= 800
  asm volatile("cp.async.wait_all;" ::: "memory");
#endif
}

// out (B,T,C) FP32 = softmax(scale·q·kᵀ, causal)·v; lse (B·NH·T) the rows' log-sum-exp of the
// scaled scores; o16 (B·NH, T, 64) BF16 copy of out for the backward pass.
// Grid: (T/64 query tiles, B·NH); 128 threads.
extern "C" __global__ void __launch_bounds__(FA_THREADS, 4)
    flash_attention_forward_kernel(float* out, float* lse, unsigned short* o16,
                                   const unsigned short* qkv, int T, int C, int NH, float scale) {
  __shared__ __align__(16) unsigned short kbuf[2][FA_TILE * FA_LD];
  __shared__ __align__(16) unsigned short vbuf[2][FA_TILE * FA_LD];
  int qt = gridDim.x - 1 - blockIdx.x;  // longest rows first
  int bh = blockIdx.y;
  FaPlace at = fa_place(NH);
  int b = at.b, h = at.h, warp = at.warp, g = at.g, c = at.c;
  long long rs = 3LL * C;
  const unsigned short* seq = qkv + (long long)b * T * rs;
  int q0 = qt * FA_TILE + warp * 16;
  unsigned qa[4][4];
#pragma unroll
  for (int kk = 0; kk < 4; kk++) {
    const unsigned short* p = seq + (long long)(q0 + g) * rs + h * FA_HS + kk * 16 + 2 * c;
    qa[kk][0] = ld_u32(p);
    qa[kk][1] = ld_u32(p + 8 * rs);
    qa[kk][2] = ld_u32(p + 8);
    qa[kk][3] = ld_u32(p + 8 * rs + 8);
  }
  float o[8][4];
  for (int nt = 0; nt < 8; nt++)
    for (int e = 0; e < 4; e++) o[nt][e] = 0.f;
  float m[2] = {neg_inf_f(), neg_inf_f()};
  float l[2] = {0.f, 0.f};
  // Key/value tiles are double-buffered: tile kt+1 is copied while tile kt is used.
  const unsigned short* kv0 = seq + C + h * FA_HS;
  load_tile_async(kbuf[0], kv0, rs);
  load_tile_async(vbuf[0], kv0 + C, rs);
  for (int kt = 0; kt <= qt; kt++) {
    cp_async_wait_all();
    __syncthreads();
    if (kt < qt) {
      const unsigned short* kv = kv0 + (long long)(kt + 1) * FA_TILE * rs;
      load_tile_async(kbuf[(kt + 1) & 1], kv, rs);
      load_tile_async(vbuf[(kt + 1) & 1], kv + C, rs);
    }
    const unsigned short* ks = kbuf[kt & 1];
    const unsigned short* vs = vbuf[kt & 1];
    float s[8][4];
    for (int nt = 0; nt < 8; nt++) {
      for (int e = 0; e < 4; e++) s[nt][e] = 0.f;
      #pragma unroll
      for (int kk = 0; kk < 4; kk++) {
        unsigned bb[2];
        load_b_t(bb, ks, FA_LD, nt * 8, kk * 16, g, c);
        mma_bf16_16816(s[nt], qa[kk], bb);
      }
    }
    float mx[2] = {neg_inf_f(), neg_inf_f()};
    bool diagonal = kt == qt;  // only this tile has keys after some of its queries
    for (int nt = 0; nt < 8; nt++) {
      for (int e = 0; e < 4; e++) {
        float v = s[nt][e] * scale;
        if (diagonal && nt * 8 + 2 * c + (e & 1) > warp * 16 + g + (e >= 2 ? 8 : 0)) {
          v = neg_inf_f();
        }
        s[nt][e] = v;
        mx[e >> 1] = fmaxf(mx[e >> 1], v);
      }
    }
    float alpha[2];
    for (int r = 0; r < 2; r++) {
      mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffffu, mx[r], 1));
      mx[r] = fmaxf(mx[r], __shfl_xor_sync(0xffffffffu, mx[r], 2));
      float mn = fmaxf(m[r], mx[r]);
      alpha[r] = __expf(m[r] - mn);
      m[r] = mn;
      l[r] *= alpha[r];
    }
    for (int nt = 0; nt < 8; nt++) {
      for (int e = 0; e < 4; e++) {
        float p = __expf(s[nt][e] - m[e >> 1]);
        s[nt][e] = p;
        l[e >> 1] += p;
        o[nt][e] *= alpha[e >> 1];
      }
    }
    #pragma unroll
    for (int kk = 0; kk < 4; kk++) {
      unsigned pa[4];
      acc_to_a(pa, s[2 * kk], s[2 * kk + 1]);
      for (int nt = 0; nt < 8; nt++) {
        unsigned bb[2];
        load_b(bb, vs, FA_LD, nt * 8, kk * 16, g, c);
        mma_bf16_16816(o[nt], pa, bb);
      }
    }
  }
  for (int r = 0; r < 2; r++) {
    l[r] += __shfl_xor_sync(0xffffffffu, l[r], 1);
    l[r] += __shfl_xor_sync(0xffffffffu, l[r], 2);
  }
  for (int r = 0; r < 2; r++) {
    int row = q0 + g + 8 * r;
    float inv = 1.0f / l[r];
    float* dst = out + ((long long)b * T + row) * C + h * FA_HS;
    unsigned short* d16 = o16 + ((long long)bh * T + row) * FA_HS;
    for (int nt = 0; nt < 8; nt++) {
      int col = nt * 8 + 2 * c;
      float y0 = o[nt][2 * r] * inv;
      float y1 = o[nt][2 * r + 1] * inv;
      *(float2*)(dst + col) = make_float2(y0, y1);
      *(unsigned*)(d16 + col) = pack_bf16x2(y0, y1);
    }
    if (c == 0) lse[(long long)bh * T + row] = m[r] + logf(l[r]);
  }
}

// delta (B·NH·T) = Σ over the head's 64 columns of dout (B,T,C FP32) · o16. One warp per row.
extern "C" __global__ void flash_attention_delta_kernel(float* delta, const float* dout,
                                                        const unsigned short* o16, int B, int T,
                                                        int C, int NH) {
  long long row = (long long)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
  int lane = threadIdx.x & 31;
  if (row >= (long long)B * NH * T) return;
  int t = (int)(row % T);
  long long bh = row / T;
  int b = (int)(bh / NH);
  int h = (int)(bh % NH);
  const float* d = dout + ((long long)b * T + t) * C + h * FA_HS;
  const unsigned short* o = o16 + row * FA_HS;
  float acc = 0.f;
  for (int i = lane; i < FA_HS; i += 32) acc += d[i] * bf16_to_float(o[i]);
  acc = warp_sum(acc);
  if (lane == 0) delta[row] = acc;
}

// dqkv (B,T,3C FP32) += gradients of q, k, v. dout16 is dout rounded to BF16 (B,T,C); lse and
// delta come from the forward and delta kernels. Grid: (T/64 key tiles, B·NH); 128 threads. dq
// gathers contributions from every key tile, so it is accumulated with atomics; dk and dv of a
// key tile belong to one block.
extern "C" __global__ void __launch_bounds__(FA_THREADS, 3)
    flash_attention_backward_kernel(float* dqkv, const unsigned short* qkv,
                                    const unsigned short* dout16, const float* lse,
                                    const float* delta, int T, int C, int NH, float scale) {
  __shared__ __align__(16) unsigned short ks[FA_TILE * FA_LD];
  __shared__ __align__(16) unsigned short vs[FA_TILE * FA_LD];
  __shared__ __align__(16) unsigned short qs[FA_TILE * FA_LD];
  __shared__ __align__(16) unsigned short dos[FA_TILE * FA_LD];
  __shared__ __align__(16) unsigned short dss[FA_TILE * FA_LD];
  __shared__ float lse_s[FA_TILE];
  __shared__ float delta_s[FA_TILE];
  int kt = blockIdx.x;
  int bh = blockIdx.y;
  FaPlace at = fa_place(NH);
  int b = at.b, h = at.h, warp = at.warp, g = at.g, c = at.c;
  long long rs = 3LL * C;
  const unsigned short* seq = qkv + (long long)b * T * rs;
  const unsigned short* dseq = dout16 + (long long)b * T * C;
  float* dseqf = dqkv + (long long)b * T * rs;
  const unsigned short* kv = seq + (long long)kt * FA_TILE * rs + C + h * FA_HS;
  load_tile_async(ks, kv, rs);
  load_tile_async(vs, kv + C, rs);
  cp_async_wait_all();
  int k0 = warp * 16;  // this warp's keys within the tile
  __syncthreads();
  unsigned ka[4][4];
  unsigned va[4][4];
#pragma unroll
  for (int kk = 0; kk < 4; kk++) {
    load_a(ka[kk], ks, FA_LD, k0, kk * 16, g, c);
    load_a(va[kk], vs, FA_LD, k0, kk * 16, g, c);
  }
  float dk[8][4];
  float dv[8][4];
  for (int nt = 0; nt < 8; nt++)
    for (int e = 0; e < 4; e++) dk[nt][e] = dv[nt][e] = 0.f;
  int tiles = T / FA_TILE;
  for (int qt = kt; qt < tiles; qt++) {
    __syncthreads();
    if (threadIdx.x < FA_TILE) {
      lse_s[threadIdx.x] = lse[(long long)bh * T + qt * FA_TILE + threadIdx.x];
      delta_s[threadIdx.x] = delta[(long long)bh * T + qt * FA_TILE + threadIdx.x];
    }
    load_tile_async(qs, seq + (long long)qt * FA_TILE * rs + h * FA_HS, rs);
    load_tile_async(dos, dseq + (long long)qt * FA_TILE * C + h * FA_HS, C);
    cp_async_wait_all();
    __syncthreads();
    // Queries in two halves of 32 (fewer live registers): Pᵀ (this warp's 16 keys × 32 queries)
    // and dPᵀ = v·doutᵀ, then dv += Pᵀ·dout and dk += dSᵀ·q (scaled at the end), and dS into
    // shared memory for dq.
    bool diagonal = qt == kt;
    #pragma unroll
    for (int half = 0; half < 2; half++) {
      float p[4][4];
      float dp[4][4];
      #pragma unroll
      for (int j = 0; j < 4; j++) {
        int nt = half * 4 + j;
        for (int e = 0; e < 4; e++) p[j][e] = dp[j][e] = 0.f;
        #pragma unroll
        for (int kk = 0; kk < 4; kk++) {
          unsigned bb[2];
          load_b_t(bb, qs, FA_LD, nt * 8, kk * 16, g, c);
          mma_bf16_16816(p[j], ka[kk], bb);
          load_b_t(bb, dos, FA_LD, nt * 8, kk * 16, g, c);
          mma_bf16_16816(dp[j], va[kk], bb);
        }
        for (int e = 0; e < 4; e++) {
          int ql = nt * 8 + 2 * c + (e & 1);
          int kl = k0 + g + (e >= 2 ? 8 : 0);
          float pv = __expf(p[j][e] * scale - lse_s[ql]);
          if (diagonal && kl > ql) pv = 0.f;
          p[j][e] = pv;
          dp[j][e] = pv * (dp[j][e] - delta_s[ql]);  // dSᵀ, without the scale
          dss[ql * FA_LD + kl] = float_to_bf16(dp[j][e]);
        }
      }
      #pragma unroll
      for (int kh = 0; kh < 2; kh++) {
        int kk = half * 2 + kh;
        unsigned pa[4];
        unsigned sa[4];
        acc_to_a(pa, p[2 * kh], p[2 * kh + 1]);
        acc_to_a(sa, dp[2 * kh], dp[2 * kh + 1]);
        #pragma unroll
        for (int nt = 0; nt < 8; nt++) {
          unsigned bb[2];
          load_b(bb, dos, FA_LD, nt * 8, kk * 16, g, c);
          mma_bf16_16816(dv[nt], pa, bb);
          load_b(bb, qs, FA_LD, nt * 8, kk * 16, g, c);
          mma_bf16_16816(dk[nt], sa, bb);
        }
      }
    }
    __syncthreads();
    // dq (this warp's 16 queries) = scale·dS·k, added into dqkv one 16 × 8 tile at a time.
    unsigned da[4][4];
    #pragma unroll
    for (int kk = 0; kk < 4; kk++) load_a(da[kk], dss, FA_LD, warp * 16, kk * 16, g, c);
    float* dqrow = dseqf + (long long)(qt * FA_TILE + warp * 16 + g) * rs + h * FA_HS + 2 * c;
    #pragma unroll
    for (int nt = 0; nt < 8; nt++) {
      float dq[4] = {0.f, 0.f, 0.f, 0.f};
      #pragma unroll
      for (int kk = 0; kk < 4; kk++) {
        unsigned bb[2];
        load_b(bb, ks, FA_LD, nt * 8, kk * 16, g, c);
        mma_bf16_16816(dq, da[kk], bb);
      }
      atomicAdd(dqrow + nt * 8, dq[0] * scale);
      atomicAdd(dqrow + nt * 8 + 1, dq[1] * scale);
      atomicAdd(dqrow + 8 * rs + nt * 8, dq[2] * scale);
      atomicAdd(dqrow + 8 * rs + nt * 8 + 1, dq[3] * scale);
    }
  }
  for (int nt = 0; nt < 8; nt++) {
    for (int e = 0; e < 4; e++) {
      int key = kt * FA_TILE + k0 + g + (e >= 2 ? 8 : 0);
      float* row = dseqf + (long long)key * rs + h * FA_HS + nt * 8 + 2 * c + (e & 1);
      row[C] += dk[nt][e] * scale;
      row[2 * C] += dv[nt][e];
    }
  }
}
