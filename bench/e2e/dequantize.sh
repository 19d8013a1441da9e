#!/usr/bin/env bash
# End-to-end benchmark of `thaw dequantize` on a synthetic Llama-shaped NF4 model the script generates.
# Usage: bench/e2e/dequantize.sh [tiny|1b|7b] [WORKDIR]
# Prints wall time and peak RSS of the dequantize, and the time of copying the same number of bytes (cp + sync)
# measured in the same run, so the ratio is what to compare across machines.
set -euo pipefail
shape=${1:-1b}
work=${2:-$(mktemp -d /tmp/thaw-e2e-XXXX)}
root=$(cd "$(dirname "$0")/../.." && pwd)
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time; }

dotnet build "$root/src/Thaw.Cli" -c Release -o "$work/bin" >/dev/null
dotnet build "$root/bench/Thaw.Benchmarks" -c Release -o "$work/benchbin" >/dev/null
thaw() { "$work/bin/Thaw.Cli" "$@"; }

if [[ ! -f "$work/nf4/config.json" ]]; then
    echo "generating $shape-shaped bf16 model in $work/bf16"
    "$work/benchbin/Thaw.Benchmarks" synth "$shape" "$work/bf16"
    echo "quantizing to nf4 (double quant) in $work/nf4"
    thaw quantize "$work/bf16" --out "$work/nf4" --type nf4 --double-quant --compute-dtype bf16 --force --quiet
    rm -rf "$work/bf16"
fi

measure() { # label, command...
    local label=$1; shift
    sync
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@"
    read -r seconds rss_kb < "$work/time.txt"
    printf '%-28s %8.2f s  peak RSS %6d MiB\n' "$label" "$seconds" $((rss_kb / 1024))
    echo "$seconds"  > "$work/last-seconds"
}

measure "thaw dequantize --dtype bf16" "$work/bin/Thaw.Cli" dequantize "$work/nf4" --out "$work/bf16-out" --dtype bf16 --force --quiet
thaw_seconds=$(cat "$work/last-seconds")
bytes=$(du -cb "$work"/bf16-out/*.safetensors | tail -n 1 | cut -f 1)
cat "$work"/bf16-out/*.safetensors > "$work/copy-source"
sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true
measure "cp + sync of $((bytes / 1000000)) MB" bash -c "cp '$work/copy-source' '$work/copy-target' && sync"
copy_seconds=$(cat "$work/last-seconds")
rm -f "$work/copy-source" "$work/copy-target"
awk -v t="$thaw_seconds" -v c="$copy_seconds" 'BEGIN { printf "ratio dequantize / copy: %.2f\n", t / c }'
echo "(work folder: $work)"
