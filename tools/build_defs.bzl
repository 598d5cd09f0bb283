"""House macros around the native C++ rules.

Every BUILD file in the project loads these instead of calling cc_* directly, so warning flags
and test conventions live in one place:

    load("//tools:build_defs.bzl", "sf_cc_library", "sf_cc_test")

    sf_cc_library(
        name = "masks",
        srcs = ["masks.cc"],
        hdrs = ["masks.h"],
        deps = ["@libtorch"],
    )
"""

load("@rules_cc//cc:defs.bzl", "cc_binary", "cc_library", "cc_test")

# Warnings for project code. System headers (LibTorch, Abseil) come in through -isystem and
# stay quiet.
SF_COPTS = [
    "-Wall",
    "-Wextra",
    "-Wno-unused-parameter",
    "-Wno-sign-compare",
    "-Wno-missing-field-initializers",
]

def sf_cc_library(name, copts = [], **kwargs):
    cc_library(name = name, copts = SF_COPTS + copts, **kwargs)

def sf_cc_binary(name, copts = [], **kwargs):
    cc_binary(name = name, copts = SF_COPTS + copts, **kwargs)

def sf_cc_test(name, copts = [], deps = [], size = "small", **kwargs):
    """A GoogleTest test linked with gtest_main unless it brings its own main."""
    cc_test(
        name = name,
        copts = SF_COPTS + copts,
        deps = deps + ["@system_libs//:gtest_main"],
        size = size,
        **kwargs
    )

def sf_cc_benchmark(name, copts = [], deps = [], tags = [], **kwargs):
    """A Google Benchmark binary; `bazel run` it. Tagged so `bazel test //...` does not time it."""
    cc_binary(
        name = name,
        copts = SF_COPTS + copts,
        deps = deps + ["@system_libs//:benchmark"],
        tags = tags + ["benchmark"],
        **kwargs
    )

def sf_cc_fuzz_test(name, srcs, deps = [], corpus = [], tags = [], **kwargs):
    """A fuzz target (a file defining LLVMFuzzerTestOneInput) and its seed corpus, as two rules.

    `<name>` replays the corpus, plus deterministic mutations of every seed, through the target
    as an ordinary test: it runs in `bazel test //...` with GCC and under --config=asan, so every
    seed and every crash input kept in the corpus is a regression test.

    `<name>_fuzzer` is the libFuzzer binary. It needs clang and is built only by
    tools/fuzz/run_fuzzers.sh (`bazel build --config=fuzz`), so it is tagged manual.
    """
    cc_test(
        name = name,
        srcs = srcs,
        copts = SF_COPTS,
        deps = deps + ["//tools/fuzz:replay_main"],
        data = corpus,
        args = ["$(location %s)" % c for c in corpus],
        tags = tags + ["fuzz_replay"],
        size = "small",
        **kwargs
    )
    cc_binary(
        name = name + "_fuzzer",
        srcs = srcs,
        copts = SF_COPTS,
        linkopts = ["-fsanitize=fuzzer"],
        deps = deps,
        data = corpus,
        tags = tags + ["fuzz", "manual"],
        testonly = True,
        **kwargs
    )
