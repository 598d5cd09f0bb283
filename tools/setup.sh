#!/usr/bin/env bash
# Installs the Debian packages this project builds and runs with.
#
# Idempotent and non-interactive: packages already present are reported and left alone, so a
# second run changes nothing. Works as root or through sudo.
#
#   tools/setup.sh            # install what is missing
#   tools/setup.sh --check    # only report what is missing; exit 1 if anything is
#   tools/setup.sh --fuzz     # also clang and libFuzzer, for tools/fuzz/run_fuzzers.sh
set -euo pipefail

readonly PACKAGES=(
  bazel-bootstrap          # Bazel 4.2.3 (WORKSPACE mode, fully offline)
  g++                      # the C++ toolchain Bazel autodetects
  libtorch-dev             # LibTorch 1.13 (CPU)
  libopenblas0-openmp      # makes libblas.so.3 OpenBLAS instead of the 25x slower reference BLAS
  libabsl-dev              # flags, strings, status
  libre2-dev               # normalisation and pre-tokenisation
  libgtest-dev libgmock-dev
  libgloo-dev              # Gloo headers for LibTorch's c10d (data-parallel training)
  libbenchmark-dev
  nlohmann-json3-dev       # tokenizer files, safetensors headers, metrics JSON
  libpng-dev               # PNG read/write
  zlib1g-dev               # gzip IDX files
  libcurl4-openssl-dev     # dataset download
  libarchive-dev           # .tar.gz / .zip extraction
  libssl-dev               # SHA-256 verification of downloads
  dataset-fashion-mnist    # default data for the inpainting tasks
)

# Only for fuzzing (tools/fuzz/run_fuzzers.sh); the build and tests need none of them.
readonly FUZZ_PACKAGES=(
  clang                    # libFuzzer instrumentation (-fsanitize=fuzzer)
  libclang-rt-dev          # the libFuzzer and sanitizer runtimes
)

check_only=0
wanted=("${PACKAGES[@]}")
for arg in "$@"; do
  case "$arg" in
    --check) check_only=1 ;;
    --fuzz) wanted+=("${FUZZ_PACKAGES[@]}") ;;
    *) echo "setup: unknown argument '$arg' (expected --check and/or --fuzz)" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${wanted[@]}"; do
  if dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    echo "setup: present   $pkg"
  else
    echo "setup: missing   $pkg"
    missing+=("$pkg")
  fi
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "setup: all ${#wanted[@]} packages present; nothing to do"
  exit 0
fi
if [[ $check_only -eq 1 ]]; then
  echo "setup: ${#missing[@]} package(s) missing: ${missing[*]}" >&2
  exit 1
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    echo "setup: must run as root or with sudo available to install: ${missing[*]}" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
echo "setup: apt-get update"
"${SUDO[@]}" apt-get update -q
echo "setup: installing ${missing[*]}"
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -q --no-install-recommends "${missing[@]}"
echo "setup: installed ${#missing[@]} package(s)"

blas=$(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3 2>/dev/null || true)
echo "setup: libblas.so.3 -> ${blas:-not found}"
