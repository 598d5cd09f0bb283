// AVX2/FMA tile operations for float32. Compiled with -mavx2 -mfma and only called after a
// run-time CPU check (CpuHasAvx2Fma), so everything here has internal linkage and the file
// includes no header with inline code: an AVX2-compiled copy of a shared inline function could
// otherwise be linked into the portable path.
//
// The products use a register-blocked micro-kernel of 6 rows x 16 columns (12 accumulators,
// 2 operand vectors and a broadcast: 15 of the 16 ymm registers): per depth step it issues 12
// FMAs against 2 vector loads and 6 broadcasts, enough to keep both FMA pipes busy from L1.
#include "attention/internal/fused_attention_tile_ops.h"

#if defined(__AVX2__) && defined(__FMA__)

#include <immintrin.h>

namespace sf::attention::internal {
namespace {

constexpr int kRowBlock = 6;

#define SF_INLINE inline __attribute__((always_inline))

// 2^x for x <= 127, accurate to about 2 ulp; x <= -127, -inf and NaN give exactly 0 (masked
// scores must contribute nothing, not a denormal).
SF_INLINE __m256 Exp2(__m256 x) {
  x = _mm256_max_ps(x, _mm256_set1_ps(-127.0f));  // also maps NaN to -127
  x = _mm256_min_ps(x, _mm256_set1_ps(127.0f));
  const __m256 n = _mm256_round_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m256 f = _mm256_sub_ps(x, n);  // [-0.5, 0.5]
  // Taylor series of exp(f ln 2) to degree 6: relative error below 1.3e-7 on [-0.5, 0.5].
  __m256 p = _mm256_set1_ps(1.5403530393381606e-4f);
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.3333558146428443e-3f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(9.6181291076284772e-3f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(5.5504108664821580e-2f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(2.4022650695910071e-1f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(6.9314718055994531e-1f));
  p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.0f));
  // 2^n through the exponent field; n = -127 gives the bit pattern of +0.
  const __m256i e = _mm256_slli_epi32(
      _mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(e));
}

SF_INLINE __m256i LaneMask(int64_t count) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(count)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

// Blocks of 8 rows x 8 columns go through an in-register transpose; the edges are scalar.
void PackTransposed(const float* src, int64_t stride, int64_t count, int64_t depth,
                    float factor, float* out, int64_t ldo, int64_t cols) {
  const __m256 f = _mm256_set1_ps(factor);
  int64_t c = 0;
  for (; c + 8 <= count; c += 8) {
    const float* rows = src + c * stride;
    int64_t d = 0;
    for (; d + 8 <= depth; d += 8) {
      __m256 r[8];
#pragma GCC unroll 8
      for (int i = 0; i < 8; ++i) r[i] = _mm256_mul_ps(_mm256_loadu_ps(rows + i * stride + d), f);
      __m256 t[8];
#pragma GCC unroll 4
      for (int i = 0; i < 8; i += 2) {
        t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
      }
      __m256 u[8];
#pragma GCC unroll 2
      for (int i = 0; i < 8; i += 4) {
        u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
      }
#pragma GCC unroll 4
      for (int i = 0; i < 4; ++i) {
        _mm256_storeu_ps(out + (d + i) * ldo + c, _mm256_permute2f128_ps(u[i], u[i + 4], 0x20));
        _mm256_storeu_ps(out + (d + i + 4) * ldo + c,
                         _mm256_permute2f128_ps(u[i], u[i + 4], 0x31));
      }
    }
    for (; d < depth; ++d) {
      for (int i = 0; i < 8; ++i) out[d * ldo + c + i] = rows[i * stride + d] * factor;
    }
  }
  for (int64_t d = 0; d < depth; ++d) {
    for (int64_t cc = c; cc < count; ++cc) out[d * ldo + cc] = src[cc * stride + d] * factor;
    for (int64_t cc = count; cc < cols; ++cc) out[d * ldo + cc] = 0.0f;
  }
}

// c[MR x 8*NV] = a[MR x depth] * bt[depth x 8*NV].
template <int MR, int NV>
SF_INLINE void ScoresMicro(const float* a, int64_t lda, const float* bt, int64_t ldb,
                           int64_t depth, float* c, int64_t ldc) {
  __m256 acc[MR][NV];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_setzero_ps();
  }
  for (int64_t d = 0; d < depth; ++d) {
    __m256 b[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) b[v] = _mm256_loadu_ps(bt + d * ldb + 8 * v);
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const __m256 ar = _mm256_broadcast_ss(a + r * lda + d);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_fmadd_ps(ar, b[v], acc[r][v]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) _mm256_storeu_ps(c + r * ldc + 8 * v, acc[r][v]);
  }
}

template <int NV>
void ScoresColumns(const float* a, int64_t lda, int64_t rows, const float* bt, int64_t ldb,
                   int64_t depth, float* c, int64_t ldc) {
  int64_t r = 0;
  for (; r + kRowBlock <= rows; r += kRowBlock) {
    ScoresMicro<kRowBlock, NV>(a + r * lda, lda, bt, ldb, depth, c + r * ldc, ldc);
  }
  const float* ar = a + r * lda;
  float* cr = c + r * ldc;
  switch (rows - r) {
    case 5: ScoresMicro<5, NV>(ar, lda, bt, ldb, depth, cr, ldc); break;
    case 4: ScoresMicro<4, NV>(ar, lda, bt, ldb, depth, cr, ldc); break;
    case 3: ScoresMicro<3, NV>(ar, lda, bt, ldb, depth, cr, ldc); break;
    case 2: ScoresMicro<2, NV>(ar, lda, bt, ldb, depth, cr, ldc); break;
    case 1: ScoresMicro<1, NV>(ar, lda, bt, ldb, depth, cr, ldc); break;
    default: break;
  }
}

void Scores(const float* a, int64_t lda, int64_t rows, const float* bt, int64_t ldb,
            int64_t cols, int64_t depth, float* c, int64_t ldc) {
  int64_t n = 0;
  for (; n + 16 <= cols; n += 16) ScoresColumns<2>(a, lda, rows, bt + n, ldb, depth, c + n, ldc);
  if (n < cols) ScoresColumns<1>(a, lda, rows, bt + n, ldb, depth, c + n, ldc);
}

// c[MR x W] = beta * c + a[MR x depth] * b[depth x W], W = 8 * NV columns of which the last
// vector holds only the lanes of `tail` when kTail.
template <int MR, int NV, bool kTail>
SF_INLINE void AccumulateMicro(const float* a, int64_t a_row_stride, int64_t a_depth_stride,
                               int64_t depth, const float* b, int64_t ldb,
                               const float* row_scale, float* c, int64_t ldc, __m256i tail) {
  __m256 acc[MR][NV];
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      const float* cp = c + r * ldc + 8 * v;
      acc[r][v] = (kTail && v == NV - 1) ? _mm256_maskload_ps(cp, tail) : _mm256_loadu_ps(cp);
      if (row_scale != nullptr) {
        acc[r][v] = _mm256_mul_ps(acc[r][v], _mm256_broadcast_ss(row_scale + r));
      }
    }
  }
  for (int64_t k = 0; k < depth; ++k) {
    __m256 bv[NV];
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      const float* bp = b + k * ldb + 8 * v;
      bv[v] = (kTail && v == NV - 1) ? _mm256_maskload_ps(bp, tail) : _mm256_loadu_ps(bp);
    }
    const float* ak = a + k * a_depth_stride;
#pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const __m256 ar = _mm256_broadcast_ss(ak + r * a_row_stride);
#pragma GCC unroll 2
      for (int v = 0; v < NV; ++v) acc[r][v] = _mm256_fmadd_ps(ar, bv[v], acc[r][v]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
#pragma GCC unroll 2
    for (int v = 0; v < NV; ++v) {
      float* cp = c + r * ldc + 8 * v;
      if (kTail && v == NV - 1) {
        _mm256_maskstore_ps(cp, tail, acc[r][v]);
      } else {
        _mm256_storeu_ps(cp, acc[r][v]);
      }
    }
  }
}

template <int NV, bool kTail>
void AccumulateColumns(const float* a, int64_t a_row_stride, int64_t a_depth_stride,
                       int64_t rows, int64_t depth, const float* b, int64_t ldb,
                       const float* row_scale, float* c, int64_t ldc, __m256i tail) {
  int64_t r = 0;
  for (; r + kRowBlock <= rows; r += kRowBlock) {
    AccumulateMicro<kRowBlock, NV, kTail>(a + r * a_row_stride, a_row_stride, a_depth_stride,
                                          depth, b, ldb, row_scale ? row_scale + r : nullptr,
                                          c + r * ldc, ldc, tail);
  }
  const float* ar = a + r * a_row_stride;
  const float* sr = row_scale ? row_scale + r : nullptr;
  float* cr = c + r * ldc;
  switch (rows - r) {
#define SF_ACCUMULATE_TAIL_ROWS(MR)                                                          \
  case MR:                                                                                   \
    AccumulateMicro<MR, NV, kTail>(ar, a_row_stride, a_depth_stride, depth, b, ldb, sr, cr, \
                                   ldc, tail);                                               \
    break;
    SF_ACCUMULATE_TAIL_ROWS(5)
    SF_ACCUMULATE_TAIL_ROWS(4)
    SF_ACCUMULATE_TAIL_ROWS(3)
    SF_ACCUMULATE_TAIL_ROWS(2)
    SF_ACCUMULATE_TAIL_ROWS(1)
#undef SF_ACCUMULATE_TAIL_ROWS
    default: break;
  }
}

void Accumulate(const float* a, int64_t a_row_stride, int64_t a_depth_stride, int64_t rows,
                int64_t depth, const float* b, int64_t ldb, int64_t width,
                const float* row_scale, float* c, int64_t ldc) {
  const __m256i all = _mm256_set1_epi32(-1);
  int64_t n = 0;
  for (; n + 16 <= width; n += 16) {
    AccumulateColumns<2, false>(a, a_row_stride, a_depth_stride, rows, depth, b + n, ldb,
                                row_scale, c + n, ldc, all);
  }
  const int64_t rest = width - n;
  if (rest > 8) {
    AccumulateColumns<2, true>(a, a_row_stride, a_depth_stride, rows, depth, b + n, ldb,
                               row_scale, c + n, ldc, LaneMask(rest - 8));
  } else if (rest == 8) {
    AccumulateColumns<1, false>(a, a_row_stride, a_depth_stride, rows, depth, b + n, ldb,
                                row_scale, c + n, ldc, all);
  } else if (rest > 0) {
    AccumulateColumns<1, true>(a, a_row_stride, a_depth_stride, rows, depth, b + n, ldb,
                               row_scale, c + n, ldc, LaneMask(rest));
  }
}

void OnlineSoftmax(float* s, int64_t ld, int64_t rows, int64_t cols, float* m, float* l,
                   float* alpha) {
  const __m256 neg_inf = _mm256_set1_ps(-__builtin_inff());
  for (int64_t i = 0; i < cols; i += 8) {
    const __m256 m_old = _mm256_loadu_ps(m + i);
    __m256 m_new = m_old;
    for (int64_t j = 0; j < rows; ++j) m_new = _mm256_max_ps(m_new, _mm256_loadu_ps(s + j * ld + i));
    // Columns that have seen only -inf keep a shift of 0, so exp2(-inf - shift) is 0, not NaN.
    const __m256 shift = _mm256_andnot_ps(_mm256_cmp_ps(m_new, neg_inf, _CMP_EQ_OQ), m_new);
    const __m256 a = Exp2(_mm256_sub_ps(m_old, shift));
    __m256 sum0 = _mm256_setzero_ps();
    __m256 sum1 = _mm256_setzero_ps();
    int64_t j = 0;
    for (; j + 2 <= rows; j += 2) {
      float* s0 = s + j * ld + i;
      float* s1 = s0 + ld;
      const __m256 p0 = Exp2(_mm256_sub_ps(_mm256_loadu_ps(s0), shift));
      const __m256 p1 = Exp2(_mm256_sub_ps(_mm256_loadu_ps(s1), shift));
      _mm256_storeu_ps(s0, p0);
      _mm256_storeu_ps(s1, p1);
      sum0 = _mm256_add_ps(sum0, p0);
      sum1 = _mm256_add_ps(sum1, p1);
    }
    if (j < rows) {
      float* s0 = s + j * ld + i;
      const __m256 p0 = Exp2(_mm256_sub_ps(_mm256_loadu_ps(s0), shift));
      _mm256_storeu_ps(s0, p0);
      sum0 = _mm256_add_ps(sum0, p0);
    }
    const __m256 l_new =
        _mm256_fmadd_ps(_mm256_loadu_ps(l + i), a, _mm256_add_ps(sum0, sum1));
    _mm256_storeu_ps(l + i, l_new);
    _mm256_storeu_ps(m + i, m_new);
    _mm256_storeu_ps(alpha + i, a);
  }
}

void SoftmaxBackward(float* s, float* dp, int64_t ld, int64_t rows, int64_t cols,
                     const float* lse2, const float* delta, float scale) {
  const __m256 scale_v = _mm256_set1_ps(scale);
  for (int64_t j = 0; j < rows; ++j) {
    float* s_row = s + j * ld;
    float* dp_row = dp + j * ld;
    for (int64_t i = 0; i < cols; i += 8) {
      const __m256 p = Exp2(_mm256_sub_ps(_mm256_loadu_ps(s_row + i), _mm256_loadu_ps(lse2 + i)));
      const __m256 d = _mm256_sub_ps(_mm256_loadu_ps(dp_row + i), _mm256_loadu_ps(delta + i));
      _mm256_storeu_ps(s_row + i, p);
      _mm256_storeu_ps(dp_row + i, _mm256_mul_ps(_mm256_mul_ps(p, d), scale_v));
    }
  }
}

void ScaleRows(const float* src, int64_t lds, int64_t rows, int64_t width, const float* factor,
               float* dst, int64_t ldd) {
  for (int64_t r = 0; r < rows; ++r) {
    const __m256 f = _mm256_broadcast_ss(factor + r);
    const float* s = src + r * lds;
    float* d = dst + r * ldd;
    int64_t i = 0;
    for (; i + 16 <= width; i += 16) {
      _mm256_storeu_ps(d + i, _mm256_mul_ps(_mm256_loadu_ps(s + i), f));
      _mm256_storeu_ps(d + i + 8, _mm256_mul_ps(_mm256_loadu_ps(s + i + 8), f));
    }
    for (; i + 8 <= width; i += 8) {
      _mm256_storeu_ps(d + i, _mm256_mul_ps(_mm256_loadu_ps(s + i), f));
    }
    if (i < width) {
      const __m256i tail = LaneMask(width - i);
      _mm256_maskstore_ps(d + i, tail, _mm256_mul_ps(_mm256_maskload_ps(s + i, tail), f));
    }
  }
}

constexpr FusedTileOps<float> kAvx2Ops = {&PackTransposed, &Scores,          &Accumulate,
                                          &OnlineSoftmax,  &SoftmaxBackward, &ScaleRows};

#undef SF_INLINE

}  // namespace

const FusedTileOps<float>* Avx2TileOps() { return &kAvx2Ops; }

}  // namespace sf::attention::internal

#else  // no AVX2/FMA in this translation unit's flags

namespace sf::attention::internal {

const FusedTileOps<float>* Avx2TileOps() { return nullptr; }

}  // namespace sf::attention::internal

#endif
