#!/usr/bin/env bash
# The `short` preset of `nat scratch` on one pair on a GPU: DARTS_V2 and NAT_DARTS, seed 0, one after the
# other, through benchmarks.scratch (prepared, not yet run: its cost on a GPU is unmeasured).
#
# short = DARTS' protocol in its 8-cell, 16-channel search network for 20 epochs on all 50,000 training
# images (batch 96, SGD 0.025 cosine, drop-path 0.2, auxiliary 0.4, cutout 16, clip 5), tested once on all
# 10,000 test images. The whole script is cut at 9.5 minutes (TIME_LIMIT); every epoch is checkpointed,
# so a rerun with the same RUNS_DIR resumes where it stopped and reuses finished runs.
#
# Needs: CUDA, the project's dependencies (gymnasium and stable-baselines3 are imported by nat_env and the
# benchmarks; on a bare machine install carried wheels first, e.g. WHEELS=.whl), and CIFAR-10 through
# NAT_CIFAR10_ARCHIVE (the offline tarball) or NAT_DATA_DIR. Outputs: OUT_FILE (default
# scratch/short_gpu.json under benchmarks/results, or an absolute path) and the .md beside it, with the
# GPU's name; the log shows every epoch's time.
#
#   NAT_CIFAR10_ARCHIVE=/path/cifar10-jpeg.tar.gz benchmarks/gpu_scratch_short.sh
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -n "${WHEELS:-}" ]]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$WHEELS"/*.whl
    export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
if [[ -z "${NAT_CIFAR10_ARCHIVE:-}" && -z "${NAT_DATA_DIR:-}" ]]; then
    echo "gpu_scratch_short.sh: set NAT_CIFAR10_ARCHIVE (or NAT_DATA_DIR) to CIFAR-10" >&2
    exit 2
fi
python3 -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 'gpu_scratch_short.sh: no CUDA device')"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
export PYTHONUNBUFFERED=1
timeout "${TIME_LIMIT:-570}" python3 -m benchmarks.scratch \
    --preset short --device cuda --cells DARTS_V2 --ours "" --seeds 0 \
    --runs-dir "${RUNS_DIR:-runs/scratch}" --out "${OUT_FILE:-scratch/short_gpu.json}"
