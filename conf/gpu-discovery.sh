#!/usr/bin/env bash
# Spark resource discovery for GPUs: prints {"name":"gpu","addresses":["0","1",...]} for the
# GPUs nvidia-smi lists on this host (or CUDA_VISIBLE_DEVICES when it is set).
set -euo pipefail
if [[ -n "${CUDA_VISIBLE_DEVICES:-}" ]]; then
  ids="${CUDA_VISIBLE_DEVICES//,/ }"
elif command -v nvidia-smi >/dev/null 2>&1; then
  ids="$(nvidia-smi --query-gpu=index --format=csv,noheader | tr '\n' ' ')"
else
  ids=""
fi
out=""
for id in $ids; do
  out+="${out:+,}\"$id\""
done
echo "{\"name\":\"gpu\",\"addresses\":[${out}]}"
