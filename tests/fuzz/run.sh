#!/usr/bin/env bash
# Runs every libFuzzer target for SECONDS each, one after the other (the
# machine may have only 2 cores), on a scratch copy of its seed corpus so the
# repository's corpus is never polluted. Fails if any target crashes, leaks,
# times out or finds a sanitizer error; the input that did it is kept and its
# path printed.
#
#   tests/fuzz/run.sh SECONDS [BUILD_DIR]     (BUILD_DIR defaults to build-fuzz)
#
# BUILD_DIR must be configured with CC=clang -DSOCKCHAT_FUZZ=ON; missing
# targets are built first. FUZZ_TARGETS="fuzz_msg fuzz_cmd" picks a subset;
# by default all of them run (fuzz_client when the client model is built).
set -euo pipefail

usage() {
    echo "usage: $0 SECONDS [BUILD_DIR]" >&2
    exit 64 # EX_USAGE
}

[[ $# -ge 1 && $# -le 2 ]] || usage
seconds=$1
[[ $seconds =~ ^[0-9]+$ && $seconds -gt 0 ]] || usage
here=$(cd "$(dirname "$0")" && pwd)
build=${2:-$here/../../build-fuzz}
targets=${FUZZ_TARGETS:-}

if [[ ! -f $build/CMakeCache.txt ]]; then
    echo "run.sh: $build is not a CMake build dir;" \
        "configure it with: CC=clang cmake -S . -B $build -DSOCKCHAT_FUZZ=ON" >&2
    exit 66 # EX_NOINPUT
fi
if [[ -z $targets ]]; then
    targets="fuzz_linebuf fuzz_sanitize fuzz_msg fuzz_cmd fuzz_admin"
    # fuzz_session, fuzz_moderation and fuzz_xport exist when the server core
    # (servercore) is in the build.
    if [[ -d $build/tests/fuzz/CMakeFiles/fuzz_session.dir ]]; then
        targets+=" fuzz_session"
    fi
    if [[ -d $build/tests/fuzz/CMakeFiles/fuzz_moderation.dir ]]; then
        targets+=" fuzz_moderation"
    fi
    if [[ -d $build/tests/fuzz/CMakeFiles/fuzz_xport.dir ]]; then
        targets+=" fuzz_xport"
    fi
    # fuzz_client exists once the client model (tuicore) is in the build.
    if [[ -d $build/tests/fuzz/CMakeFiles/fuzz_client.dir ]]; then
        targets+=" fuzz_client"
    fi
fi
# shellcheck disable=SC2086
cmake --build "$build" -j2 --target $targets >/dev/null

work=$(mktemp -d "${TMPDIR:-/tmp}/sockchat-fuzz.XXXXXX")
keep=0
cleanup() {
    if [[ $keep -eq 0 ]]; then
        rm -rf "$work"
    fi
}
trap cleanup EXIT

failed=()
for t in $targets; do
    bin=$build/bin/$t
    if [[ ! -x $bin ]]; then
        echo "run.sh: $bin missing (is the build dir configured with -DSOCKCHAT_FUZZ=ON and clang?)" >&2
        exit 66
    fi
    mkdir -p "$work/$t/corpus" "$work/$t/artifacts"
    cp "$here/corpus/$t/"* "$work/$t/corpus/" 2>/dev/null || true
    seeds=$(find "$work/$t/corpus" -type f | wc -l)
    log=$work/$t/log
    echo "== $t: ${seconds}s, $seeds seeds"
    status=0
    # -timeout: one input taking over 10 s is a hang; -rss_limit_mb bounds
    # memory; -print_final_stats gives the executions figure.
    "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$work/$t/artifacts/" "$work/$t/corpus" >"$log" 2>&1 || status=$?
    # libFuzzer's last status line holds the coverage and corpus size.
    grep -E '^#[0-9]+.*cov:' "$log" | tail -n 1 || true
    grep -E '^Done [0-9]+ runs' "$log" || true
    grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' "$log" || true
    echo "   corpus now $(find "$work/$t/corpus" -type f | wc -l) inputs"
    if [[ $status -ne 0 ]]; then
        keep=1
        echo "!! $t FAILED (exit $status); log and crashing input kept in $work/$t"
        grep -E 'ERROR|SUMMARY|Test unit written|runtime error' "$log" || true
        failed+=("$t")
    fi
done

if [[ ${#failed[@]} -gt 0 ]]; then
    echo "fuzz: FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "fuzz: all targets ran ${seconds}s each without a failure"
