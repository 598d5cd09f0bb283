// Portable tile operations in plain C++, used for float64, on CPUs without AVX2/FMA, and in
// tests as the second implementation. The products accumulate fixed 4 x 8 blocks in local
// arrays and the softmax uses a branch-free exp2 for float32, shapes the compiler's
// vectoriser turns into SIMD code for whatever baseline instruction set the build targets
// (fixed-size loops are unrolled by pragma so the accumulators stay in registers).
#include <cmath>
#include <cstring>
#include <limits>

#include "attention/internal/fused_attention_tile_ops.h"

namespace sf::attention::internal {
namespace {

constexpr int kRows = 4;
constexpr int kCols = 8;

template <typename T>
void PackTransposed(const T* src, int64_t stride, int64_t count, int64_t depth, T factor, T* out,
                    int64_t ldo, int64_t cols) {
  for (int64_t d = 0; d < depth; ++d) {
    T* out_row = out + d * ldo;
    for (int64_t c = 0; c < count; ++c) out_row[c] = src[c * stride + d] * factor;
    for (int64_t c = count; c < cols; ++c) out_row[c] = T(0);
  }
}

// c[MR x 8] = a[MR x depth] * bt[depth x 8].
template <typename T, int MR>
void ScoresBlock(const T* a, int64_t lda, const T* bt, int64_t ldb, int64_t depth, T* c,
                 int64_t ldc) {
  T acc[MR][kCols] = {};
  for (int64_t d = 0; d < depth; ++d) {
    const T* b = bt + d * ldb;
    #pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const T ar = a[r * lda + d];
      #pragma GCC unroll 8
      for (int n = 0; n < kCols; ++n) acc[r][n] += ar * b[n];
    }
  }
  #pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
    #pragma GCC unroll 8
    for (int n = 0; n < kCols; ++n) c[r * ldc + n] = acc[r][n];
  }
}

template <typename T>
void Scores(const T* a, int64_t lda, int64_t rows, const T* bt, int64_t ldb, int64_t cols,
            int64_t depth, T* c, int64_t ldc) {
  for (int64_t n = 0; n < cols; n += kCols) {
    int64_t r = 0;
    for (; r + kRows <= rows; r += kRows) {
      ScoresBlock<T, kRows>(a + r * lda, lda, bt + n, ldb, depth, c + r * ldc + n, ldc);
    }
    for (; r < rows; ++r) ScoresBlock<T, 1>(a + r * lda, lda, bt + n, ldb, depth, c + r * ldc + n, ldc);
  }
}

// c[MR x W] = beta * c + a[MR x depth] * b[depth x W] for W = kCols, or fewer at the edge.
template <typename T, int MR, int W>
void AccumulateBlock(const T* a, int64_t a_row_stride, int64_t a_depth_stride, int64_t depth,
                     const T* b, int64_t ldb, const T* row_scale, T* c, int64_t ldc) {
  T acc[MR][W];
  #pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
    const T beta = row_scale != nullptr ? row_scale[r] : T(1);
    #pragma GCC unroll 8
    for (int n = 0; n < W; ++n) acc[r][n] = c[r * ldc + n] * beta;
  }
  for (int64_t k = 0; k < depth; ++k) {
    const T* bk = b + k * ldb;
    #pragma GCC unroll 8
    for (int r = 0; r < MR; ++r) {
      const T ar = a[r * a_row_stride + k * a_depth_stride];
      #pragma GCC unroll 8
      for (int n = 0; n < W; ++n) acc[r][n] += ar * bk[n];
    }
  }
  #pragma GCC unroll 8
  for (int r = 0; r < MR; ++r) {
    #pragma GCC unroll 8
    for (int n = 0; n < W; ++n) c[r * ldc + n] = acc[r][n];
  }
}

// One column of width 1 at a time, for the last width % kCols columns.
template <typename T>
void AccumulateColumn(const T* a, int64_t a_row_stride, int64_t a_depth_stride, int64_t rows,
                      int64_t depth, const T* b, int64_t ldb, const T* row_scale, T* c,
                      int64_t ldc) {
  for (int64_t r = 0; r < rows; ++r) {
    T acc = c[r * ldc] * (row_scale != nullptr ? row_scale[r] : T(1));
    for (int64_t k = 0; k < depth; ++k) acc += a[r * a_row_stride + k * a_depth_stride] * b[k * ldb];
    c[r * ldc] = acc;
  }
}

template <typename T>
void Accumulate(const T* a, int64_t a_row_stride, int64_t a_depth_stride, int64_t rows,
                int64_t depth, const T* b, int64_t ldb, int64_t width, const T* row_scale, T* c,
                int64_t ldc) {
  int64_t n = 0;
  for (; n + kCols <= width; n += kCols) {
    int64_t r = 0;
    for (; r + kRows <= rows; r += kRows) {
      AccumulateBlock<T, kRows, kCols>(a + r * a_row_stride, a_row_stride, a_depth_stride, depth,
                                       b + n, ldb, row_scale ? row_scale + r : nullptr,
                                       c + r * ldc + n, ldc);
    }
    for (; r < rows; ++r) {
      AccumulateBlock<T, 1, kCols>(a + r * a_row_stride, a_row_stride, a_depth_stride, depth,
                                   b + n, ldb, row_scale ? row_scale + r : nullptr,
                                   c + r * ldc + n, ldc);
    }
  }
  for (; n < width; ++n) {
    AccumulateColumn(a, a_row_stride, a_depth_stride, rows, depth, b + n, ldb, row_scale, c + n,
                     ldc);
  }
}

// 2^x. float32: the same reduction and degree-6 series as the AVX2 kernels, branch-free so
// loops over it vectorise; x <= -127, -inf and NaN give exactly 0. float64: the C library.
inline float Exp2(float x) {
  x = x > -127.0f ? x : -127.0f;  // NaN compares false: it becomes -127 as well
  x = x < 127.0f ? x : 127.0f;
  constexpr float kRound = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer
  const float n = (x + kRound) - kRound;
  const float f = x - n;
  float p = 1.5403530393381606e-4f;
  p = p * f + 1.3333558146428443e-3f;
  p = p * f + 9.6181291076284772e-3f;
  p = p * f + 5.5504108664821580e-2f;
  p = p * f + 2.4022650695910071e-1f;
  p = p * f + 6.9314718055994531e-1f;
  p = p * f + 1.0f;
  const int32_t bits = (static_cast<int32_t>(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof(scale));
  return p * scale;
}

inline double Exp2(double x) { return std::exp2(x); }

template <typename T>
void OnlineSoftmax(T* s, int64_t ld, int64_t rows, int64_t cols, T* m, T* l, T* alpha) {
  constexpr T kNegInf = -std::numeric_limits<T>::infinity();
  // alpha holds the new running maximum until the rescale factors replace it.
  for (int64_t i = 0; i < cols; ++i) alpha[i] = m[i];
  for (int64_t j = 0; j < rows; ++j) {
    const T* s_row = s + j * ld;
    for (int64_t i = 0; i < cols; ++i) alpha[i] = s_row[i] > alpha[i] ? s_row[i] : alpha[i];
  }
  for (int64_t i = 0; i < cols; ++i) {
    const T m_new = alpha[i];
    const T shift = m_new == kNegInf ? T(0) : m_new;
    alpha[i] = Exp2(m[i] - shift);
    l[i] *= alpha[i];
    m[i] = m_new;
  }
  for (int64_t j = 0; j < rows; ++j) {
    T* s_row = s + j * ld;
    for (int64_t i = 0; i < cols; ++i) {
      const T shift = m[i] == kNegInf ? T(0) : m[i];
      s_row[i] = Exp2(s_row[i] - shift);
      l[i] += s_row[i];
    }
  }
}

template <typename T>
void SoftmaxBackward(T* s, T* dp, int64_t ld, int64_t rows, int64_t cols, const T* lse2,
                     const T* delta, T scale) {
  for (int64_t j = 0; j < rows; ++j) {
    T* s_row = s + j * ld;
    T* dp_row = dp + j * ld;
    for (int64_t i = 0; i < cols; ++i) {
      const T p = Exp2(s_row[i] - lse2[i]);
      s_row[i] = p;
      dp_row[i] = p * (dp_row[i] - delta[i]) * scale;
    }
  }
}

template <typename T>
void ScaleRows(const T* src, int64_t lds, int64_t rows, int64_t width, const T* factor, T* dst,
               int64_t ldd) {
  for (int64_t r = 0; r < rows; ++r) {
    const T f = factor[r];
    for (int64_t d = 0; d < width; ++d) dst[r * ldd + d] = src[r * lds + d] * f;
  }
}

template <typename T>
constexpr FusedTileOps<T> kPortableOps = {&PackTransposed<T>, &Scores<T>,
                                          &Accumulate<T>,     &OnlineSoftmax<T>,
                                          &SoftmaxBackward<T>, &ScaleRows<T>};

}  // namespace

template <typename T>
const FusedTileOps<T>& PortableTileOps() {
  return kPortableOps<T>;
}

template const FusedTileOps<float>& PortableTileOps<float>();
template const FusedTileOps<double>& PortableTileOps<double>();

bool CpuHasAvx2Fma() {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

}  // namespace sf::attention::internal
