#!/usr/bin/env bash
# The GPU checks of resnet_blog in one go, for a session lent a GPU machine (see docs/resnet-benchmark.md):
#   1. the reference trainer on CUDA (a short smoke run: the GPU code path end to end),
#   2. the --gpu sandbox probe (needs a bubblewrap .deb carried in .whl/),
#   3. the benchmark: the blog's 10 epochs on 50,000 images, beside airbench (its wheel carried in .whl/),
#   4. the same with torch.compile, if time is left.
# Every step runs even when an earlier one fails; everything goes to $OUT/gpu_session.log.
set -uo pipefail
OUT=${OUT:-/tmp/gpu-session}
mkdir -p "$OUT"
LOG="$OUT/gpu_session.log"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD"

step() {  # step NAME COMMAND...: run one check with its own time limit, log its exit status
    local name=$1; shift
    echo "=== $name: $*" | tee -a "$LOG"
    local start=$SECONDS
    "$@" 2>&1 | tee -a "$LOG"
    echo "=== $name: exit ${PIPESTATUS[0]} after $((SECONDS - start)) s" | tee -a "$LOG"
}

if ls .whl/*.whl >/dev/null 2>&1; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
        && export PYTHONPATH="/tmp/site:$PWD"
fi
if ls .whl/bubblewrap_*.deb >/dev/null 2>&1; then
    dpkg -x .whl/bubblewrap_*.deb /tmp/bwrap && export PATH="/tmp/bwrap/usr/bin:$PATH"
fi

step environment bash -c 'nvidia-smi -L; python3 -c "import sys, torch; print(sys.version.split()[0], torch.__version__, torch.cuda.get_device_name(0))"'
step reference-smoke timeout 60 python3 -m reference.resnet --device cuda --epochs 2 --synthetic-train 5000
step sandbox-probe timeout 60 python3 -c "
from grader.sandbox import SandboxConfig, bwrap_path, gpu_self_test
print('bwrap:', bwrap_path())
print('GPU in the sandbox:', gpu_self_test(SandboxConfig(use_bwrap=bwrap_path() is not None, gpu=True)))"
step benchmark timeout 200 python3 bench/bench_resnet_gpu.py --runs 3
step benchmark-compiled timeout 120 python3 bench/bench_resnet_gpu.py --runs 3 --compile --no-airbench
