// The tile operations the fused attention kernel is built from, as a table of plain
// function pointers, so the tiling driver (fused_attention_kernel.cc) is written once and the
// instruction set is chosen at run time:
//
//   const FusedTileOps<float>& ops = PortableTileOps<float>();   // or *Avx2TileOps()
//   ops.scores(k_rows, k_stride, 6, q_packed, 64, 64, head_dim, s_tile, 64);
//
// Layouts. A scores tile is key-major: s[j * ld + i] for key j and query i, so the per-query
// softmax statistics are vectors over i. Packed operands (`bt`) are depth-major with a leading
// dimension that is a multiple of kTileColumnAlign, zero-padded past the live columns.
//
// This header is also included by the AVX2 translation unit, which is compiled with
// -mavx2 -mfma: it must stay free of inline functions and templates with bodies, or the linker
// could pick an AVX2-compiled copy for the whole program and crash CPUs without AVX2.
#ifndef SCRATCHFORMER_ATTENTION_INTERNAL_FUSED_ATTENTION_TILE_OPS_H_
#define SCRATCHFORMER_ATTENTION_INTERNAL_FUSED_ATTENTION_TILE_OPS_H_

#include <cstdint>

namespace sf::attention::internal {

// Columns of a scores tile (queries) come in multiples of this many.
constexpr int64_t kTileColumnAlign = 8;

template <typename T>
struct FusedTileOps {
  // out[d * ldo + c] = src[c * stride + d] * factor for c < count, d < depth, and 0 for
  // count <= c < cols: rows of q (or dO) turned depth-major for `scores`.
  void (*pack_transposed)(const T* src, int64_t stride, int64_t count, int64_t depth, T factor,
                          T* out, int64_t ldo, int64_t cols);

  // c[r * ldc + n] = sum_{d < depth} a[r * lda + d] * bt[d * ldb + n]
  // for r < rows, n < cols; cols is a multiple of kTileColumnAlign.
  void (*scores)(const T* a, int64_t lda, int64_t rows, const T* bt, int64_t ldb, int64_t cols,
                 int64_t depth, T* c, int64_t ldc);

  // c[r * ldc + n] = beta_r * c[r * ldc + n]
  //                  + sum_{k < depth} a[r * a_row_stride + k * a_depth_stride] * b[k * ldb + n]
  // for r < rows, n < width, with beta_r = row_scale[r], or 1 when row_scale is null.
  void (*accumulate)(const T* a, int64_t a_row_stride, int64_t a_depth_stride, int64_t rows,
                     int64_t depth, const T* b, int64_t ldb, int64_t width, const T* row_scale,
                     T* c, int64_t ldc);

  // One step of the online softmax over a scores tile of base-2 logits s[j * ld + i]
  // (j < rows, i < cols, cols a multiple of kTileColumnAlign). For each column i: the running
  // maximum m[i] absorbs the tile's maximum; s becomes exp2(s - m'), with m' = m[i] or 0 when
  // no finite logit was seen yet; l[i] = l[i] * alpha[i] + sum_j s[j, i], where
  // alpha[i] = exp2(m_old[i] - m'), the factor the caller applies to its accumulators.
  void (*online_softmax)(T* s, int64_t ld, int64_t rows, int64_t cols, T* m, T* l, T* alpha);

  // Backward of the softmax on a tile: s (base-2 logits) becomes p = exp2(s - lse2[i]) and
  // dp becomes ds = p * (dp - delta[i]) * scale.
  void (*softmax_backward)(T* s, T* dp, int64_t ld, int64_t rows, int64_t cols, const T* lse2,
                           const T* delta, T scale);

  // dst[r * ldd + d] = src[r * lds + d] * factor[r] for r < rows, d < width: a block's
  // accumulated output rows divided by their softmax sums, written to the output.
  void (*scale_rows)(const T* src, int64_t lds, int64_t rows, int64_t width, const T* factor,
                     T* dst, int64_t ldd);
};

// Plain C++ loops (auto-vectorised by the compiler for the baseline instruction set).
template <typename T>
const FusedTileOps<T>& PortableTileOps();

// Register-blocked AVX2/FMA micro-kernels; null when the build has no AVX2 translation unit.
// Calling them on a CPU without AVX2 and FMA is undefined: see CpuHasAvx2Fma().
const FusedTileOps<float>* Avx2TileOps();

// Whether this CPU executes AVX2 and FMA instructions.
bool CpuHasAvx2Fma();

}  // namespace sf::attention::internal

#endif  // SCRATCHFORMER_ATTENTION_INTERNAL_FUSED_ATTENTION_TILE_OPS_H_
