#!/usr/bin/env bash
# Runs bench/e2e/merge.sh on the 1b and 7b shapes and compares them: the merge's peak RSS must not grow with the
# model (issue 4's targets: merge/copy <= 2, peak RSS <= 1 GiB, 7b within 10% of 1b).
# Usage: bench/e2e/merge-compare.sh [WORKROOT] [extra `thaw merge` arguments, e.g. --threads 4]
# WORKROOT/1b and WORKROOT/7b keep the generated models, so a second run only re-measures. About 40 GB free needed.
set -euo pipefail
if [[ $# -gt 0 && $1 != -* ]]; then work=$1; shift; else work=$(mktemp -d /tmp/thaw-e2e-XXXX); fi
here=$(cd "$(dirname "$0")" && pwd)
for shape in 1b 7b; do
    echo "== $shape"
    "$here/merge.sh" "$shape" "$work/$shape" "$@"
    rm -rf "$work/$shape/merged"  # room for the next shape; the inputs stay for a re-run
done
read -r t1 c1 rss1 _ < "$work/1b/result.txt"
read -r t7 c7 rss7 _ < "$work/7b/result.txt"
awk -v t1="$t1" -v c1="$c1" -v r1="$rss1" -v t7="$t7" -v c7="$c7" -v r7="$rss7" 'BEGIN {
    printf "\n%-6s %10s %10s %14s\n", "shape", "merge/copy", "merge s", "peak RSS MiB"
    printf "%-6s %10.2f %10.2f %14d\n", "1b", t1 / c1, t1, r1 / 1024
    printf "%-6s %10.2f %10.2f %14d\n", "7b", t7 / c7, t7, r7 / 1024
    printf "peak RSS 7b / 1b: %.3f\n", r7 / r1
    ok = t1 / c1 <= 2 && t7 / c7 <= 2 && r1 <= 1048576 && r7 <= 1048576 && r7 / r1 <= 1.10 && r7 / r1 >= 0.90
    printf "targets (merge/copy <= 2, peak RSS <= 1 GiB, 7b within 10%% of 1b): %s\n", ok ? "met" : "NOT met"
}'
