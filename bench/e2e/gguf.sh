#!/usr/bin/env bash
# End-to-end benchmark of the one-pass route from a 4-bit base + LoRA adapter to a llama.cpp file:
#   one pass:  thaw merge --base NF4 --adapter A --out model.gguf --gguf-type q8_0
#   two steps: thaw merge --base NF4 --adapter A --out merged-bf16/ ; thaw export-gguf merged-bf16 --out model.gguf
# on the synthetic Llama-shaped NF4 model and r=16 adapter that bench/e2e/merge.sh generates (run it first for the
# shape, or this script runs it). Prints wall time and peak RSS of each route, measured in the same run.
# Usage: bench/e2e/gguf.sh [tiny|1b|7b] [WORKDIR]   (WORKDIR shared with merge.sh)
set -euo pipefail
shape=${1:-1b}
work=${2:-/tmp/thaw-merge-bench/$shape}
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }
if [[ ! -f "$work/nf4/config.json" || ! -f "$work/adapter/adapter_config.json" ]]; then
    "$root/bench/e2e/merge.sh" "$shape" "$work"
fi
dotnet build "$root/src/Thaw.Cli" -c Release -o "$work/bin" >/dev/null
# The synthetic model has no tokenizer; A1's (a 32000-token Llama-2 tokenizer) fits its 32000-row embedding.
cp "$root/tests/fixtures/A1-llama-bf16/tokenizer.json" "$root/tests/fixtures/A1-llama-bf16/tokenizer_config.json" "$work/nf4/"

measure() { # label, command...
    local label=$1; shift
    sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" || { echo "error: '$label' failed: $*" >&2; exit 1; }
    read -r seconds rss_kb < "$work/time.txt"
    printf '%-44s %8.2f s  peak RSS %6d MiB\n' "$label" "$seconds" $((rss_kb / 1024))
    echo "$seconds" > "$work/last-seconds"
}

thaw="$work/bin/Thaw.Cli"
measure "one pass: merge → q8_0 gguf" "$thaw" merge --base "$work/nf4" --adapter "$work/adapter" --out "$work/one-pass.gguf" --gguf-type q8_0 --force --quiet
one=$(cat "$work/last-seconds")
measure "two steps, 1: merge → bf16 folder" "$thaw" merge --base "$work/nf4" --adapter "$work/adapter" --out "$work/merged-bf16" --dtype bf16 --force --quiet
first=$(cat "$work/last-seconds")
measure "two steps, 2: export-gguf bf16 → q8_0" "$thaw" export-gguf "$work/merged-bf16" --out "$work/two-step.gguf" --gguf-type q8_0 --force --quiet
second=$(cat "$work/last-seconds")
awk -v o="$one" -v a="$first" -v b="$second" 'BEGIN { printf "one pass %.2f s, two steps %.2f s (%.2f + %.2f): one pass takes %.2f of the two-step time\n", o, a + b, a, b, o / (a + b) }'
ls -l "$work/one-pass.gguf" "$work/two-step.gguf" | awk '{ print $5, $9 }'
rm -rf "$work/merged-bf16" "$work/one-pass.gguf" "$work/two-step.gguf"
