#!/usr/bin/env bash
# Builds every fuzz target with clang + libFuzzer + ASan/UBSan (bazel --config=fuzz) and runs
# each for a given time, starting from its seed corpus. Prints executions per target and, for
# any crash, the reproducer file and the command that replays it.
#
#   tools/fuzz/run_fuzzers.sh                      # every target, 60 s each
#   tools/fuzz/run_fuzzers.sh --seconds=10 //vision:idx_fuzz_test
#   tools/fuzz/run_fuzzers.sh --jobs=2             # two targets at a time
#
# Needs clang and libFuzzer (Debian: clang, libclang-rt-dev; tools/setup.sh --fuzz installs
# them). New corpus entries go to a work folder under --out (default /tmp/sf-fuzz), never
# into the source tree; copy a crash input into <pkg>/testdata/fuzz/<target>/ to keep it as a
# regression test (the target's replay test then runs it in `bazel test //...`).
set -euo pipefail

seconds=60
jobs=1
out=/tmp/sf-fuzz
targets=()
for arg in "$@"; do
  case "$arg" in
    --seconds=*) seconds="${arg#*=}" ;;
    --jobs=*) jobs="${arg#*=}" ;;
    --out=*) out="${arg#*=}" ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    //*) targets+=("$arg") ;;
    *) echo "error: unknown argument '$arg' (see --help)" >&2; exit 2 ;;
  esac
done
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "error: --seconds must be a positive integer, got '$seconds'" >&2; exit 2
fi
if ! [[ "$jobs" =~ ^[1-9][0-9]*$ ]]; then
  echo "error: --jobs must be a positive integer, got '$jobs'" >&2; exit 2
fi
if ! command -v clang >/dev/null; then
  echo "error: clang not found; run tools/setup.sh --fuzz (installs clang and libFuzzer)" >&2
  exit 2
fi

cd "$(dirname "$0")/../.."
if [[ ${#targets[@]} -eq 0 ]]; then
  mapfile -t targets < <(bazel query --noshow_progress 'attr(tags, "fuzz_replay", tests(//...))' 2>/dev/null)
fi
fuzzers=()
for t in "${targets[@]}"; do fuzzers+=("${t}_fuzzer"); done
echo "fuzz: building ${#fuzzers[@]} targets with --config=fuzz"
bazel build --config=fuzz --noshow_progress "${fuzzers[@]}"
bin="$(bazel info --config=fuzz bazel-bin 2>/dev/null)"

mkdir -p "$out"
run_one() {
  local target="$1"
  local pkg="${target#//}"; pkg="${pkg%%:*}"
  local name="${target##*:}"
  local seeds="$pkg/testdata/fuzz/${name%_fuzz_test}"
  local work="$out/$pkg/$name"
  rm -rf "$work"; mkdir -p "$work/corpus" "$work/artifacts"
  local log="$work/fuzz.log"
  local status=0
  TEST_TMPDIR="$work" LSAN_OPTIONS="suppressions=$suppressions" "$bin/$pkg/${name}_fuzzer" -max_total_time="$seconds" -print_final_stats=1 \
    -rss_limit_mb=4096 -artifact_prefix="$work/artifacts/" "$work/corpus" "$seeds" \
    >"$log" 2>&1 || status=$?
  local execs rate
  execs="$(grep -a 'stat::number_of_executed_units' "$log" | awk '{print $2}')"
  rate="$(grep -a 'stat::average_exec_per_sec' "$log" | awk '{print $2}')"
  local crash
  crash="$(ls "$work/artifacts" 2>/dev/null | head -1)"
  if [[ $status -ne 0 || -n "$crash" ]]; then
    printf '%-44s FAILED after %s executions; log %s\n' "$target" "${execs:-?}" "$log"
    [[ -n "$crash" ]] && printf '    reproducer: %s\n    replay: %s %s\n' \
      "$work/artifacts/$crash" "$bin/$pkg/${name}_fuzzer" "$work/artifacts/$crash"
    return 1
  fi
  printf '%-44s ok  %10s executions in %ss (%s/s), corpus %s files\n' "$target" "$execs" \
    "$seconds" "$rate" "$(ls "$work/corpus" | wc -l)"
}
export -f run_one
suppressions="$PWD/tools/fuzz/lsan_suppressions.txt"  # LibTorch's own leaks, explained there
export seconds out bin suppressions

failed=0
printf '%s\n' "${targets[@]}" | xargs -P "$jobs" -I{} bash -c 'run_one "$@"' _ {} || failed=1
if [[ $failed -ne 0 ]]; then
  echo "fuzz: at least one target crashed (see above)"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each with no crash"
