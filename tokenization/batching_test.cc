#include "tokenization/batching.h"

#include <ATen/ATen.h>
#include <gtest/gtest.h>

#include <vector>

namespace sf::tokenization {
namespace {

const std::vector<std::vector<TokenId>>& Sequences() {
  static const std::vector<std::vector<TokenId>> seqs = {{5, 6, 7}, {8}, {9, 10, 11, 12, 13}, {}};
  return seqs;
}

at::Tensor Long(std::vector<int64_t> v, std::vector<int64_t> shape) {
  return at::tensor(v, at::kLong).reshape(shape);
}

TEST(PadBatchTest, PadsToTheLongestWithAMask) {
  PaddedBatch b = PadBatch(Sequences(), PadOptions().PadId(0));
  EXPECT_TRUE(at::equal(b.ids, Long({5, 6,  7,  0,  0,  //
                                     8, 0,  0,  0,  0,  //
                                     9, 10, 11, 12, 13, 0, 0, 0, 0, 0},
                                    {4, 5})));
  EXPECT_EQ(b.mask.scalar_type(), at::kBool);
  EXPECT_TRUE(at::equal(b.mask, b.ids.ne(0)));
  EXPECT_TRUE(at::equal(b.lengths, Long({3, 1, 5, 0}, {4})));
  EXPECT_EQ(b.truncated, 0);
  EXPECT_TRUE(at::equal(b.mask.sum(1), b.lengths));
}

TEST(PadBatchTest, TruncatesEitherSide) {
  PaddedBatch right = PadBatch(Sequences(), PadOptions().PadId(1).MaxLength(2));
  EXPECT_TRUE(at::equal(right.ids, Long({5, 6, 8, 1, 9, 10, 1, 1}, {4, 2})));
  EXPECT_EQ(right.truncated, 2);
  PaddedBatch left =
      PadBatch(Sequences(), PadOptions().PadId(1).MaxLength(2).Truncation(TruncationSide::kLeft));
  EXPECT_TRUE(at::equal(left.ids, Long({6, 7, 8, 1, 12, 13, 1, 1}, {4, 2})));
  EXPECT_TRUE(at::equal(left.lengths, Long({2, 1, 2, 0}, {4})));
}

TEST(PadBatchTest, FixedLengthAndMultiples) {
  PaddedBatch fixed = PadBatch(Sequences(), PadOptions().MaxLength(8).WithPadding(Padding::kFixed));
  EXPECT_EQ(fixed.ids.sizes(), (at::IntArrayRef{4, 8}));
  EXPECT_EQ(fixed.mask.sum().item<int64_t>(), 9);
  PaddedBatch rounded = PadBatch(Sequences(), PadOptions().PadToMultipleOf(4));
  EXPECT_EQ(rounded.ids.size(1), 8);
}

TEST(PadBatchTest, MultiplesNeverExceedMaxLength) {
  const std::vector<std::vector<TokenId>> seqs = {{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, {11}};
  PaddedBatch b = PadBatch(seqs, PadOptions().MaxLength(5).PadToMultipleOf(4));
  EXPECT_TRUE(at::equal(b.ids, Long({1, 2, 3, 4, 5, 11, 0, 0, 0, 0}, {2, 5})));
  EXPECT_TRUE(at::equal(b.mask, b.ids.ne(0)));
  EXPECT_TRUE(at::equal(b.lengths, Long({5, 1}, {2})));
  // Below max_length the rounding stays.
  EXPECT_EQ(PadBatch({{1, 2, 3}}, PadOptions().MaxLength(5).PadToMultipleOf(4)).ids.size(1), 4);
}

TEST(PadBatchTest, EmptyBatchAndBadOptions) {
  PaddedBatch empty = PadBatch({}, PadOptions());
  EXPECT_EQ(empty.ids.sizes(), (at::IntArrayRef{0, 0}));
  EXPECT_THROW(PadBatch(Sequences(), PadOptions().WithPadding(Padding::kFixed)), c10::Error);
  EXPECT_THROW(PadBatch(Sequences(), PadOptions().MaxLength(-1)), c10::Error);
  EXPECT_THROW(PadBatch(Sequences(), PadOptions().PadToMultipleOf(0)), c10::Error);
}

TEST(PackBatchTest, ConcatenatesWithCumulativeOffsets) {
  PackedBatch p = PackBatch(Sequences());
  EXPECT_TRUE(at::equal(p.tokens, Long({5, 6, 7, 8, 9, 10, 11, 12, 13}, {9})));
  EXPECT_TRUE(at::equal(p.cu_seqlens, Long({0, 3, 4, 9, 9}, {5})));
  EXPECT_TRUE(at::equal(p.position_ids, Long({0, 1, 2, 0, 0, 1, 2, 3, 4}, {9})));
  EXPECT_EQ(p.cu_seqlens.scalar_type(), at::kLong);
  EXPECT_EQ(p.max_seqlen, 5);
}

TEST(PackBatchTest, TruncatesAndAgreesWithPadding) {
  PackedBatch p = PackBatch(Sequences(), 2, TruncationSide::kLeft);
  EXPECT_TRUE(at::equal(p.tokens, Long({6, 7, 8, 12, 13}, {5})));
  EXPECT_EQ(p.truncated, 2);
  EXPECT_EQ(p.max_seqlen, 2);
  // The packed tokens are the padded batch's real tokens, in order.
  PaddedBatch b =
      PadBatch(Sequences(), PadOptions().MaxLength(2).Truncation(TruncationSide::kLeft));
  EXPECT_TRUE(at::equal(b.ids.masked_select(b.mask), p.tokens));
  EXPECT_TRUE(at::equal(p.cu_seqlens.slice(0, 1) - p.cu_seqlens.slice(0, 0, -1), b.lengths));
}

}  // namespace
}  // namespace sf::tokenization
