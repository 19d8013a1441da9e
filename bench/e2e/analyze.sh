#!/usr/bin/env bash
# End-to-end benchmark of `thaw analyze` on a synthetic Llama-shaped bf16 model the script generates.
# Usage: bench/e2e/analyze.sh [tiny|1b|7b] [WORKDIR] [--planted]
# --planted gives layer 1's mlp.down_proj outlier columns and the third-last layer's o_proj heavy tails, which the
# analysis should find. Prints wall time and peak RSS of the analysis (with --report), and the modules kept.
set -euo pipefail
shape=${1:-1b}
work=${2:-$(mktemp -d /tmp/thaw-e2e-XXXX)}
planted=${3:-}
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }

dotnet build "$root/src/Thaw.Cli" -c Release -o "$work/bin" >/dev/null
dotnet build "$root/bench/Thaw.Benchmarks" -c Release -o "$work/benchbin" >/dev/null

if [[ ! -f "$work/bf16/config.json" ]]; then
    echo "generating $shape-shaped bf16 model in $work/bf16 $planted"
    "$work/benchbin/Thaw.Benchmarks" synth "$shape" "$work/bf16" $planted
fi
bytes=$(du -cb "$work"/bf16/*.safetensors | tail -n 1 | cut -f 1)

sync
/usr/bin/time -f "%e %M" -o "$work/time.txt" "$work/bin/Thaw.Cli" analyze "$work/bf16" --report "$work/report" --double-quant > "$work/summary.txt"
read -r seconds rss_kb < "$work/time.txt"
printf 'thaw analyze (%s, %d MB bf16): %.2f s, peak RSS %d MiB, %.0f MB/s\n' "$shape" $((bytes / 1000000)) "$seconds" $((rss_kb / 1024)) \
    "$(awk -v b="$bytes" -v s="$seconds" 'BEGIN { print b / 1e6 / s }')"
cat "$work/summary.txt"
echo "(work folder: $work)"
