#include "attention/internal/fused_attention_kernel.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

#include <ATen/Config.h>
#include <ATen/Parallel.h>
#include <c10/util/Exception.h>

#include "attention/internal/fused_attention_tile_ops.h"

// With LibTorch's OpenMP backend, at::parallel_for is a header template whose parallel region
// exists only in translation units compiled with OpenMP; without it every task would run on the
// calling thread, silently.
#if AT_PARALLEL_OPENMP && !defined(_OPENMP)
#error "fused_attention_kernel.cc must be compiled with -fopenmp (see attention/BUILD)"
#endif

namespace sf::attention::internal {
namespace {

constexpr double kLog2e = 1.4426950408889634;
constexpr double kLn2 = 0.6931471805599453;
constexpr int64_t kMaxIndex = std::numeric_limits<int64_t>::max();
constexpr int64_t kMinIndex = std::numeric_limits<int64_t>::min();

std::atomic<FusedKernelIsa> g_isa{FusedKernelIsa::kAuto};

// Saturating arithmetic: window widths may be MaskSpec::kUnbounded.
int64_t SatAdd(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_add_overflow(a, b, &r)) return b > 0 ? kMaxIndex : kMinIndex;
  return r;
}

int64_t SatSub(int64_t a, int64_t b) {
  int64_t r;
  if (__builtin_sub_overflow(a, b, &r)) return b < 0 ? kMaxIndex : kMinIndex;
  return r;
}

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Keys a query at absolute position p sees through the local rule: [p - left, p + hi].
struct Band {
  explicit Band(const MaskRule& rule)
      : left(rule.left), hi(rule.causal ? std::min<int64_t>(rule.right, 0) : rule.right) {}
  int64_t Lo(int64_t p) const { return SatSub(p, left); }
  int64_t Hi(int64_t p) const { return SatAdd(p, hi); }
  int64_t left;
  int64_t hi;
};

// What every task of one head needs to know about global tokens.
struct HeadPlan {
  int64_t offset = 0;        // len_k - len_q
  int64_t blocks = 0;        // contiguous query blocks
  int64_t global_keys = 0;   // mask.global[0, global_keys) are keys < key_limit
  int64_t global_rows_begin = 0;  // mask.global[begin, end) are query positions in range
  int64_t global_rows_end = 0;
  int64_t global_blocks = 0;  // blocks of gathered global query rows
};

template <typename T>
HeadPlan PlanHead(const HeadProblem<T>& head, const MaskRule& rule) {
  const std::vector<int64_t>& g = rule.global;
  HeadPlan plan;
  plan.offset = head.len_k - head.len_q;
  plan.blocks = CeilDiv(head.len_q, kBlockQ);
  plan.global_keys = std::lower_bound(g.begin(), g.end(), head.key_limit) - g.begin();
  plan.global_rows_begin = std::lower_bound(g.begin(), g.end(), plan.offset) - g.begin();
  plan.global_rows_end = std::lower_bound(g.begin(), g.end(), plan.offset + head.len_q) - g.begin();
  plan.global_blocks = CeilDiv(plan.global_rows_end - plan.global_rows_begin, kBlockQ);
  return plan;
}

// A block of query rows: a contiguous run, or global query rows gathered by index.
struct QueryBlock {
  int64_t count = 0;              // live rows
  int64_t cols = 0;               // count rounded up to kTileColumnAlign
  int64_t first = 0;              // first row of a contiguous block
  const int64_t* rows = nullptr;  // row indices of a gathered block
  int64_t Row(int64_t c) const { return rows != nullptr ? rows[c] : first + c; }
};

// Keys [begin, begin + count) of the head, or of the gathered global keys when `gathered`.
struct KeyTile {
  int64_t begin;
  int64_t count;
  bool masked;
  bool gathered;
};

// Key and value rows of the head a worker is on, made adjacent one chunk of kBlockK rows at
// a time, when first needed, for operands whose rows are not adjacent. Rows a large
// power-of-two-like distance apart (heads split out of a [B, L, 3, H, D] projection) map to a
// few L1 sets and would evict each other within a tile; copying them once per head and worker,
// instead of once per query block, keeps that copy small next to the arithmetic.
template <typename T>
struct AdjacentKeys {
  const HeadProblem<T>* head = nullptr;
  std::vector<char> ready;  // per chunk
  std::vector<T> k, v;      // [len_k][dim], only the chunks marked ready are valid
};

// Per-worker buffers, reused across tasks.
template <typename T>
struct Scratch {
  std::vector<T> qt, dot, s, dp, acc, m, l, alpha, lse2, delta, q_rows, do_rows;
  AdjacentKeys<T> keys;
  std::vector<T> head_dk, head_dv;                          // one head's key/value gradients
  std::vector<T> global_k, global_v, global_dk, global_dv;  // the valid global keys' rows
  std::vector<int64_t> rows;
  std::vector<char> skip;

  void Reserve(int64_t dim_qk, int64_t dim_v) {
    qt.resize(dim_qk * kBlockQ);
    dot.resize(dim_v * kBlockQ);
    s.resize(kBlockK * kBlockQ);
    dp.resize(kBlockK * kBlockQ);
    acc.resize(kBlockQ * std::max(dim_qk, dim_v));
    for (std::vector<T>* v : {&m, &l, &alpha, &lse2, &delta}) v->resize(kBlockQ);
    q_rows.resize(kBlockQ * dim_qk);
    do_rows.resize(kBlockQ * dim_v);
    rows.resize(kBlockQ);
    skip.resize(kBlockQ);
  }
};

// Runs fn(task, scratch) for every task on the intra-op pool; each worker keeps one scratch.
// Tasks are handed out from a shared counter in runs of consecutive tasks that shrink as the
// work runs out (guided scheduling): uneven tasks (causal blocks, sequences of a packed batch)
// still balance across threads, and a worker mostly stays on one head, so the key rows it made
// adjacent (AdjacentKeys) serve many query blocks.
template <typename T, typename Fn>
void ParallelTasks(int64_t num_tasks, int64_t dim_qk, int64_t dim_v, const Fn& fn) {
  if (num_tasks == 0) return;
  const int64_t workers = std::min<int64_t>(at::get_num_threads(), num_tasks);
  std::atomic<int64_t> next{0};
  at::parallel_for(0, workers, 1, [&](int64_t begin, int64_t end) {
    for (int64_t w = begin; w < end; ++w) {
      Scratch<T> scratch;
      scratch.Reserve(dim_qk, dim_v);
      int64_t first = next.load();
      while (first < num_tasks) {
        const int64_t run = std::max<int64_t>(1, (num_tasks - first) / (4 * workers));
        if (!next.compare_exchange_weak(first, first + run)) continue;
        for (int64_t task = first; task < first + run; ++task) fn(task, scratch);
        first = next.load();
      }
    }
  });
}

const FusedTileOps<float>& OpsFor(float) {
  return ActiveFusedKernelIsa() == FusedKernelIsa::kAvx2 ? *Avx2TileOps()
                                                         : PortableTileOps<float>();
}

const FusedTileOps<double>& OpsFor(double) { return PortableTileOps<double>(); }

// The query block `index` of a head: contiguous blocks first, then the blocks of gathered
// global rows. Flags in scratch.skip the rows a contiguous block leaves to the global blocks.
template <typename T>
QueryBlock MakeBlock(const HeadProblem<T>& head, const MaskRule& rule, const HeadPlan& plan,
                     int64_t index, Scratch<T>& scratch) {
  QueryBlock block;
  const std::vector<int64_t>& g = rule.global;
  std::fill(scratch.skip.begin(), scratch.skip.end(), 0);
  if (index < plan.blocks) {
    block.first = index * kBlockQ;
    block.count = std::min(kBlockQ, head.len_q - block.first);
    const int64_t p_first = block.first + plan.offset;
    for (auto it = std::lower_bound(g.begin(), g.end(), p_first);
         it != g.end() && *it < p_first + block.count; ++it) {
      scratch.skip[*it - p_first] = 1;
    }
  } else {
    const int64_t begin = plan.global_rows_begin + (index - plan.blocks) * kBlockQ;
    block.count = std::min(kBlockQ, plan.global_rows_end - begin);
    for (int64_t c = 0; c < block.count; ++c) scratch.rows[c] = g[begin + c] - plan.offset;
    block.rows = scratch.rows.data();
  }
  block.cols = CeilDiv(block.count, kTileColumnAlign) * kTileColumnAlign;
  return block;
}

// Calls fn(KeyTile) for every key tile `block` must see, in key order within each kind.
template <typename T, typename Fn>
void ForEachKeyTile(const HeadProblem<T>& head, const MaskRule& rule, const HeadPlan& plan,
                    const QueryBlock& block, const Fn& fn) {
  auto gathered_run = [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; t += kBlockK) {
      fn(KeyTile{t, std::min(kBlockK, end - t), /*masked=*/false, /*gathered=*/true});
    }
  };
  if (block.rows != nullptr) {
    // Global query rows see every valid key.
    for (int64_t t = 0; t < head.key_limit; t += kBlockK) {
      fn(KeyTile{t, std::min(kBlockK, head.key_limit - t), false, false});
    }
    return;
  }
  const Band band(rule);
  const int64_t pa = block.first + plan.offset;
  const int64_t pb = pa + block.count - 1;
  const int64_t lo = std::max<int64_t>(0, band.Lo(pa));
  const int64_t hi = std::min(head.key_limit - 1, band.Hi(pb));
  if (lo > hi) {
    gathered_run(0, plan.global_keys);
    return;
  }
  // Tiles inside [Lo(pb), Hi(pa)] are allowed for every row of the block.
  const int64_t full_lo = band.Lo(pb);
  const int64_t full_hi = band.Hi(pa);
  for (int64_t t = lo; t <= hi; t += kBlockK) {
    const int64_t count = std::min(kBlockK, hi + 1 - t);
    fn(KeyTile{t, count, !(t >= full_lo && t + count - 1 <= full_hi), false});
  }
  // Global keys outside the band were not in any tile above.
  const auto g_begin = rule.global.begin();
  const auto g_end = g_begin + plan.global_keys;
  const int64_t below = std::lower_bound(g_begin, g_end, lo) - g_begin;
  const int64_t above = std::upper_bound(g_begin, g_end, hi) - g_begin;
  gathered_run(0, below);
  gathered_run(above, plan.global_keys);
}

// Sets the scores of disallowed (key, query) pairs of a tile of a contiguous block to -inf.
template <typename T>
void ApplyMask(const MaskRule& rule, const HeadPlan& plan, const QueryBlock& block,
               const KeyTile& tile, T* s, int64_t ld) {
  constexpr T kNegInf = -std::numeric_limits<T>::infinity();
  const Band band(rule);
  const int64_t pa = block.first + plan.offset;
  auto g = std::lower_bound(rule.global.begin(), rule.global.end(), tile.begin);
  for (int64_t jj = 0; jj < tile.count; ++jj) {
    const int64_t j = tile.begin + jj;
    while (g != rule.global.end() && *g < j) ++g;
    if (g != rule.global.end() && *g == j) continue;  // a global key: every query sees it
    // Query c sees key j when Lo(pa + c) <= j <= Hi(pa + c).
    const int64_t c_min = std::max<int64_t>(0, SatSub(SatSub(j, band.hi), pa));
    const int64_t c_max = std::min<int64_t>(block.cols - 1, SatSub(SatAdd(j, band.left), pa));
    T* row = s + jj * ld;
    if (c_min > c_max) {
      std::fill(row, row + block.cols, kNegInf);
      continue;
    }
    std::fill(row, row + c_min, kNegInf);
    std::fill(row + c_max + 1, row + block.cols, kNegInf);
  }
}

// Copies the rows of the valid global keys (and values) into contiguous buffers.
template <typename T>
void GatherGlobalKeys(const HeadProblem<T>& head, const MaskRule& rule, const HeadPlan& plan,
                      int64_t dim_qk, int64_t dim_v, Scratch<T>& scratch) {
  scratch.global_k.resize(plan.global_keys * dim_qk);
  scratch.global_v.resize(plan.global_keys * dim_v);
  for (int64_t n = 0; n < plan.global_keys; ++n) {
    const int64_t j = rule.global[n];
    std::copy_n(head.k + j * head.k_stride, dim_qk, scratch.global_k.data() + n * dim_qk);
    std::copy_n(head.v + j * head.v_stride, dim_v, scratch.global_v.data() + n * dim_v);
  }
}

// The block's rows of a [len][dim] operand: in place for a contiguous block, gathered into
// `buffer` for a block of global rows.
template <typename T>
const T* BlockRows(const T* base, int64_t stride, const QueryBlock& block, int64_t dim,
                   T* buffer, int64_t* out_stride) {
  if (block.rows == nullptr) {
    *out_stride = stride;
    return base + block.first * stride;
  }
  for (int64_t c = 0; c < block.count; ++c) {
    std::copy_n(base + block.rows[c] * stride, dim, buffer + c * dim);
  }
  *out_stride = dim;
  return buffer;
}

// BlockRows for operands the backward pass reads once per key tile: rows that are not
// adjacent are copied once per block (see AdjacentKeys for why).
template <typename T>
const T* AdjacentBlockRows(const T* base, int64_t stride, const QueryBlock& block, int64_t dim,
                           T* buffer, int64_t* out_stride) {
  if (block.rows != nullptr || stride == dim) {
    return BlockRows(base, stride, block, dim, buffer, out_stride);
  }
  const T* first = base + block.first * stride;
  for (int64_t c = 0; c < block.count; ++c) {
    std::copy_n(first + c * stride, dim, buffer + c * dim);
  }
  *out_stride = dim;
  return buffer;
}

constexpr int64_t kPrefetchRows = 8;

// Asks for the cache lines of one row of `dim` elements.
template <typename T>
void PrefetchRow(const T* row, int64_t dim) {
  const char* p = reinterpret_cast<const char*>(row);
  for (int64_t b = 0; b < dim * static_cast<int64_t>(sizeof(T)); b += 64) {
    __builtin_prefetch(p + b, /*rw=*/0, /*locality=*/3);
  }
}

// Makes the key and value rows [begin, begin + count) of `head` adjacent in scratch.keys,
// whole chunks at a time, unless already done (see AdjacentKeys).
template <typename T>
void MakeKeysAdjacent(const HeadProblem<T>& head, int64_t begin, int64_t count, int64_t dim_qk,
                      int64_t dim_v, Scratch<T>& scratch) {
  const bool copy_k = head.k_stride != dim_qk;
  const bool copy_v = head.v_stride != dim_v;
  if (!copy_k && !copy_v) return;
  AdjacentKeys<T>& keys = scratch.keys;
  if (keys.head != &head) {
    keys.head = &head;
    keys.ready.assign(CeilDiv(head.len_k, kBlockK), 0);
    if (copy_k) keys.k.resize(head.len_k * dim_qk);
    if (copy_v) keys.v.resize(head.len_k * dim_v);
  }
  for (int64_t chunk = begin / kBlockK; chunk * kBlockK < begin + count; ++chunk) {
    if (keys.ready[chunk]) continue;
    const int64_t start = chunk * kBlockK;
    const int64_t end = std::min(head.len_k, start + kBlockK);
    // Strided rows defeat the hardware prefetcher (each row is on another page): ask for the
    // rows kPrefetchRows ahead so that their misses overlap the copy of this one.
    for (int64_t j = start; j < std::min(end, start + kPrefetchRows); ++j) {
      if (copy_k) PrefetchRow(head.k + j * head.k_stride, dim_qk);
      if (copy_v) PrefetchRow(head.v + j * head.v_stride, dim_v);
    }
    for (int64_t j = start; j < end; ++j) {
      if (j + kPrefetchRows < end) {
        if (copy_k) PrefetchRow(head.k + (j + kPrefetchRows) * head.k_stride, dim_qk);
        if (copy_v) PrefetchRow(head.v + (j + kPrefetchRows) * head.v_stride, dim_v);
      }
      if (copy_k) std::copy_n(head.k + j * head.k_stride, dim_qk, keys.k.data() + j * dim_qk);
      if (copy_v) std::copy_n(head.v + j * head.v_stride, dim_v, keys.v.data() + j * dim_v);
    }
    keys.ready[chunk] = 1;
  }
}

// Key and value rows of one tile.
template <typename T>
struct TileRows {
  const T* k;
  int64_t k_stride;
  const T* v;
  int64_t v_stride;
};

template <typename T>
TileRows<T> ResolveTile(const HeadProblem<T>& head, const KeyTile& tile, int64_t dim_qk,
                        int64_t dim_v, Scratch<T>& scratch) {
  TileRows<T> rows;
  if (tile.gathered) {
    rows.k = scratch.global_k.data() + tile.begin * dim_qk;
    rows.v = scratch.global_v.data() + tile.begin * dim_v;
    rows.k_stride = dim_qk;
    rows.v_stride = dim_v;
    return rows;
  }
  MakeKeysAdjacent(head, tile.begin, tile.count, dim_qk, dim_v, scratch);
  const bool k_adjacent = head.k_stride == dim_qk;
  const bool v_adjacent = head.v_stride == dim_v;
  rows.k = (k_adjacent ? head.k : scratch.keys.k.data()) + tile.begin * dim_qk;
  rows.v = (v_adjacent ? head.v : scratch.keys.v.data()) + tile.begin * dim_v;
  rows.k_stride = dim_qk;
  rows.v_stride = dim_v;
  return rows;
}

template <typename T>
void ForwardBlock(const AttentionProblem<T>& problem, const FusedTileOps<T>& ops,
                  const HeadProblem<T>& head, const HeadPlan& plan, int64_t index,
                  Scratch<T>& scratch) {
  const int64_t dim_qk = problem.dim_qk;
  const int64_t dim_v = problem.dim_v;
  const QueryBlock block = MakeBlock(head, problem.mask, plan, index, scratch);
  if (block.rows == nullptr && head.q_stride != dim_qk) {
    // Strided rows (a packed projection): the rows this block writes, and the query rows of
    // the next block, which the same worker most likely takes next, arrive during the work.
    for (int64_t c = 0; c < block.count; ++c) {
      PrefetchRow(head.out + (block.first + c) * head.out_stride, dim_v);
    }
    const int64_t next_end = std::min(head.len_q, block.first + block.count + kBlockQ);
    for (int64_t i = block.first + block.count; i < next_end; ++i) {
      PrefetchRow(head.q + i * head.q_stride, dim_qk);
    }
  }
  int64_t q_stride;
  const T* q_rows =
      BlockRows(head.q, head.q_stride, block, dim_qk, scratch.q_rows.data(), &q_stride);
  ops.pack_transposed(q_rows, q_stride, block.count, dim_qk,
                      static_cast<T>(problem.scale * kLog2e), scratch.qt.data(), kBlockQ,
                      block.cols);
  T* m = scratch.m.data();
  T* l = scratch.l.data();
  T* acc = scratch.acc.data();
  std::fill(m, m + block.cols, -std::numeric_limits<T>::infinity());
  std::fill(l, l + block.cols, T(0));
  std::fill(acc, acc + block.count * dim_v, T(0));
  bool globals_gathered = false;

  ForEachKeyTile(head, problem.mask, plan, block, [&](const KeyTile& tile) {
    if (tile.gathered && !globals_gathered) {
      GatherGlobalKeys(head, problem.mask, plan, dim_qk, dim_v, scratch);
      globals_gathered = true;
    }
    const TileRows<T> rows = ResolveTile(head, tile, dim_qk, dim_v, scratch);
    T* s = scratch.s.data();
    ops.scores(rows.k, rows.k_stride, tile.count, scratch.qt.data(), kBlockQ, block.cols,
               dim_qk, s, kBlockQ);
    if (tile.masked) ApplyMask(problem.mask, plan, block, tile, s, kBlockQ);
    ops.online_softmax(s, kBlockQ, tile.count, block.cols, m, l, scratch.alpha.data());
    ops.accumulate(s, 1, kBlockQ, block.count, tile.count, rows.v, rows.v_stride, dim_v,
                   scratch.alpha.data(), acc, dim_v);
  });

  // Rows divided by their sums; a row that saw no key gets zeros (its accumulator is cleared,
  // so a non-finite value row cannot leak through 0 * inf).
  T* inv = scratch.alpha.data();
  for (int64_t c = 0; c < block.count; ++c) {
    if (scratch.skip[c]) continue;
    const int64_t i = block.Row(c);
    if (l[c] > T(0)) {
      inv[c] = T(1) / l[c];
      head.lse[i] = static_cast<T>((m[c] + std::log2(l[c])) * kLn2);
    } else {
      inv[c] = T(0);
      std::fill(acc + c * dim_v, acc + (c + 1) * dim_v, T(0));
      head.lse[i] = -std::numeric_limits<T>::infinity();
    }
  }
  if (block.rows != nullptr) {
    for (int64_t c = 0; c < block.count; ++c) {
      ops.scale_rows(acc + c * dim_v, dim_v, 1, dim_v, inv + c,
                     head.out + block.rows[c] * head.out_stride, head.out_stride);
    }
    return;
  }
  // Runs of consecutive rows, leaving out the global rows their own blocks write.
  for (int64_t c = 0; c < block.count;) {
    if (scratch.skip[c]) {
      ++c;
      continue;
    }
    int64_t end = c + 1;
    while (end < block.count && !scratch.skip[end]) ++end;
    ops.scale_rows(acc + c * dim_v, dim_v, end - c, dim_v, inv + c,
                   head.out + (block.first + c) * head.out_stride, head.out_stride);
    c = end;
  }
}

// One backward block; key and value gradients go to scratch.head_dk / head_dv ([len_k][dim],
// or the gathered global rows' buffers), dq rows straight to grad.grad_q.
template <typename T>
void BackwardBlock(const AttentionProblem<T>& problem, const FusedTileOps<T>& ops,
                   const HeadProblem<T>& head, const HeadGradients<T>& grad,
                   const HeadPlan& plan, int64_t index, Scratch<T>& scratch) {
  constexpr T kInf = std::numeric_limits<T>::infinity();
  const int64_t dim_qk = problem.dim_qk;
  const int64_t dim_v = problem.dim_v;
  const QueryBlock block = MakeBlock(head, problem.mask, plan, index, scratch);
  int64_t q_stride;
  int64_t do_stride;
  const T* q_rows =
      AdjacentBlockRows(head.q, head.q_stride, block, dim_qk, scratch.q_rows.data(), &q_stride);
  const T* do_rows = AdjacentBlockRows(grad.grad_out, grad.grad_out_stride, block, dim_v,
                                       scratch.do_rows.data(), &do_stride);
  ops.pack_transposed(q_rows, q_stride, block.count, dim_qk,
                      static_cast<T>(problem.scale * kLog2e), scratch.qt.data(), kBlockQ,
                      block.cols);
  ops.pack_transposed(do_rows, do_stride, block.count, dim_v, T(1), scratch.dot.data(), kBlockQ,
                      block.cols);

  // Rows that see no key, and global rows of a contiguous block (their gradient comes from
  // their own block), get lse = +inf: every probability of theirs is exactly 0 here.
  T* lse2 = scratch.lse2.data();
  T* delta = scratch.delta.data();
  for (int64_t c = 0; c < block.count; ++c) {
    const int64_t i = block.Row(c);
    const T lse = head.lse[i];
    lse2[c] = (scratch.skip[c] || lse == -kInf) ? kInf : static_cast<T>(lse * kLog2e);
    const T* d_out = do_rows + c * do_stride;
    const T* out = head.out + i * head.out_stride;
    T dot = 0;
    for (int64_t d = 0; d < dim_v; ++d) dot += d_out[d] * out[d];
    delta[c] = dot;
  }
  std::fill(lse2 + block.count, lse2 + block.cols, kInf);
  std::fill(delta + block.count, delta + block.cols, T(0));
  T* dq = scratch.acc.data();
  std::fill(dq, dq + block.count * dim_qk, T(0));

  ForEachKeyTile(head, problem.mask, plan, block, [&](const KeyTile& tile) {
    const TileRows<T> rows = ResolveTile(head, tile, dim_qk, dim_v, scratch);
    T* dk = (tile.gathered ? scratch.global_dk.data() : scratch.head_dk.data()) +
            tile.begin * dim_qk;
    T* dv = (tile.gathered ? scratch.global_dv.data() : scratch.head_dv.data()) +
            tile.begin * dim_v;
    T* s = scratch.s.data();
    T* dp = scratch.dp.data();
    ops.scores(rows.k, rows.k_stride, tile.count, scratch.qt.data(), kBlockQ, block.cols,
               dim_qk, s, kBlockQ);
    if (tile.masked) ApplyMask(problem.mask, plan, block, tile, s, kBlockQ);
    ops.scores(rows.v, rows.v_stride, tile.count, scratch.dot.data(), kBlockQ, block.cols,
               dim_v, dp, kBlockQ);
    ops.softmax_backward(s, dp, kBlockQ, tile.count, block.cols, lse2, delta,
                         static_cast<T>(problem.scale));
    // s now holds p and dp holds ds (key-major); the three products of the backward pass:
    ops.accumulate(s, kBlockQ, 1, tile.count, block.count, do_rows, do_stride, dim_v, nullptr,
                   dv, dim_v);
    ops.accumulate(dp, kBlockQ, 1, tile.count, block.count, q_rows, q_stride, dim_qk, nullptr,
                   dk, dim_qk);
    ops.accumulate(dp, 1, kBlockQ, block.count, tile.count, rows.k, rows.k_stride, dim_qk,
                   nullptr, dq, dim_qk);
  });

  for (int64_t c = 0; c < block.count; ++c) {
    if (scratch.skip[c]) continue;
    std::copy_n(dq + c * dim_qk, dim_qk, grad.grad_q + block.Row(c) * grad.grad_q_stride);
  }
}

}  // namespace

MaskRule MaskRule::From(const MaskSpec& spec) {
  MaskRule rule;
  rule.causal = spec.causal();
  rule.left = spec.window_left();
  rule.right = spec.window_right();
  // Without a causal or window limit every query already sees every key, and global tokens
  // would only cost the extra blocks of their rows.
  if (rule.causal || spec.has_window()) rule.global = spec.global_tokens();
  return rule;
}

void SetFusedKernelIsa(FusedKernelIsa isa) {
  TORCH_CHECK(isa != FusedKernelIsa::kAvx2 || (Avx2TileOps() != nullptr && CpuHasAvx2Fma()),
              "SetFusedKernelIsa: AVX2/FMA kernels requested, but ",
              Avx2TileOps() == nullptr ? "this build has none" : "this CPU lacks AVX2 or FMA");
  g_isa.store(isa);
}

FusedKernelIsa ActiveFusedKernelIsa() {
  const FusedKernelIsa isa = g_isa.load();
  if (isa != FusedKernelIsa::kAuto) return isa;
  static const bool avx2 = Avx2TileOps() != nullptr && CpuHasAvx2Fma();
  return avx2 ? FusedKernelIsa::kAvx2 : FusedKernelIsa::kPortable;
}

const char* FusedKernelIsaName(FusedKernelIsa isa) {
  switch (isa) {
    case FusedKernelIsa::kAuto: return "auto";
    case FusedKernelIsa::kPortable: return "portable";
    case FusedKernelIsa::kAvx2: return "avx2";
  }
  return "unknown";
}

template <typename T>
void FusedForward(const AttentionProblem<T>& problem) {
  const FusedTileOps<T>& ops = OpsFor(T());
  // Tasks: (head, block) pairs, contiguous blocks then gathered global blocks of each head.
  std::vector<HeadPlan> plans;
  std::vector<int64_t> first_task;
  int64_t num_tasks = 0;
  for (const HeadProblem<T>& head : problem.heads) {
    plans.push_back(PlanHead(head, problem.mask));
    first_task.push_back(num_tasks);
    num_tasks += plans.back().blocks + plans.back().global_blocks;
  }
  ParallelTasks<T>(num_tasks, problem.dim_qk, problem.dim_v,
                   [&](int64_t task, Scratch<T>& scratch) {
                     const int64_t h =
                         std::upper_bound(first_task.begin(), first_task.end(), task) -
                         first_task.begin() - 1;
                     ForwardBlock(problem, ops, problem.heads[h], plans[h], task - first_task[h],
                                  scratch);
                   });
}

template <typename T>
void FusedBackward(const AttentionProblem<T>& problem, const std::vector<HeadGradients<T>>& grads) {
  TORCH_CHECK(grads.size() == problem.heads.size(), "FusedBackward: ", grads.size(),
              " gradient heads for ", problem.heads.size(), " problem heads");
  const FusedTileOps<T>& ops = OpsFor(T());
  const int64_t num_heads = static_cast<int64_t>(problem.heads.size());
  const int64_t dim_qk = problem.dim_qk;
  const int64_t dim_v = problem.dim_v;
  std::vector<HeadPlan> plans;
  for (const HeadProblem<T>& head : problem.heads) plans.push_back(PlanHead(head, problem.mask));

  // A task owns a head: it accumulates the head's key and value gradients in contiguous
  // buffers and writes them out once. With fewer heads than threads, a head's query blocks are
  // split over `splits` tasks whose buffers are summed after.
  const int64_t threads = at::get_num_threads();
  const int64_t splits = num_heads >= threads ? 1 : CeilDiv(threads, std::max<int64_t>(1, num_heads));
  std::vector<T> partial;
  std::vector<int64_t> partial_offset(num_heads + 1, 0);
  if (splits > 1) {
    for (int64_t h = 0; h < num_heads; ++h) {
      partial_offset[h + 1] =
          partial_offset[h] + splits * problem.heads[h].len_k * (dim_qk + dim_v);
    }
    partial.resize(partial_offset[num_heads]);
  }

  ParallelTasks<T>(num_heads * splits, dim_qk, dim_v, [&](int64_t task, Scratch<T>& scratch) {
    const int64_t h = task / splits;
    const int64_t split = task % splits;
    const HeadProblem<T>& head = problem.heads[h];
    const HeadGradients<T>& grad = grads[h];
    const HeadPlan& plan = plans[h];
    scratch.head_dk.assign(head.len_k * dim_qk, T(0));
    scratch.head_dv.assign(head.len_k * dim_v, T(0));
    if (plan.global_keys > 0) {
      GatherGlobalKeys(head, problem.mask, plan, dim_qk, dim_v, scratch);
      scratch.global_dk.assign(plan.global_keys * dim_qk, T(0));
      scratch.global_dv.assign(plan.global_keys * dim_v, T(0));
    }
    const int64_t num_blocks = plan.blocks + plan.global_blocks;
    for (int64_t index = num_blocks * split / splits; index < num_blocks * (split + 1) / splits;
         ++index) {
      BackwardBlock(problem, ops, head, grad, plan, index, scratch);
    }
    for (int64_t n = 0; n < plan.global_keys; ++n) {
      const int64_t j = problem.mask.global[n];
      for (int64_t d = 0; d < dim_qk; ++d) {
        scratch.head_dk[j * dim_qk + d] += scratch.global_dk[n * dim_qk + d];
      }
      for (int64_t d = 0; d < dim_v; ++d) {
        scratch.head_dv[j * dim_v + d] += scratch.global_dv[n * dim_v + d];
      }
    }
    if (splits > 1) {
      T* slot = partial.data() + partial_offset[h] + split * head.len_k * (dim_qk + dim_v);
      std::copy(scratch.head_dk.begin(), scratch.head_dk.end(), slot);
      std::copy(scratch.head_dv.begin(), scratch.head_dv.end(), slot + head.len_k * dim_qk);
      return;
    }
    for (int64_t j = 0; j < head.len_k; ++j) {
      std::copy_n(scratch.head_dk.data() + j * dim_qk, dim_qk, grad.grad_k + j * grad.grad_k_stride);
      std::copy_n(scratch.head_dv.data() + j * dim_v, dim_v, grad.grad_v + j * grad.grad_v_stride);
    }
  });

  if (splits > 1) {
    at::parallel_for(0, num_heads, 1, [&](int64_t begin, int64_t end) {
      for (int64_t h = begin; h < end; ++h) {
        const HeadProblem<T>& head = problem.heads[h];
        const HeadGradients<T>& grad = grads[h];
        for (int64_t j = 0; j < head.len_k; ++j) {
          T* gk = grad.grad_k + j * grad.grad_k_stride;
          T* gv = grad.grad_v + j * grad.grad_v_stride;
          std::fill(gk, gk + dim_qk, T(0));
          std::fill(gv, gv + dim_v, T(0));
          for (int64_t split = 0; split < splits; ++split) {
            const T* dk = partial.data() + partial_offset[h] +
                          split * head.len_k * (dim_qk + dim_v);
            const T* dv = dk + head.len_k * dim_qk;
            for (int64_t d = 0; d < dim_qk; ++d) gk[d] += dk[j * dim_qk + d];
            for (int64_t d = 0; d < dim_v; ++d) gv[d] += dv[j * dim_v + d];
          }
        }
      }
    });
  }
}

template void FusedForward<float>(const AttentionProblem<float>&);
template void FusedForward<double>(const AttentionProblem<double>&);
template void FusedBackward<float>(const AttentionProblem<float>&,
                                   const std::vector<HeadGradients<float>>&);
template void FusedBackward<double>(const AttentionProblem<double>&,
                                    const std::vector<HeadGradients<double>>&);

}  // namespace sf::attention::internal
