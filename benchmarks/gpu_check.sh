#!/usr/bin/env bash
# GPU session check (run on a machine with an NVIDIA GPU, JAX with CUDA and torch): environment,
# torchlike's GPU tests, a CPU subset of the suite under that machine's JAX/torch versions, and
# (with --bench) the training-step benchmark on the GPU. Logs go to $OUT (or ./gpu_check_out).
#     bash benchmarks/gpu_check.sh [--tests-only | --bench-only]
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-gpu_check_out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
PY=${PY:-python3}
mode=${1:-all}
{
  nvidia-smi -L
  $PY -c "import jax, optax, torch, numpy; print('jax', jax.__version__, jax.devices(), '| optax', \
optax.__version__, '| torch', torch.__version__, torch.cuda.is_available(), '| numpy', numpy.__version__)"
} 2>&1 | tee "$OUT/env.log"
if [ "$mode" != "--bench-only" ]; then
  timeout 300 $PY -m pytest -q -p no:cacheprovider -rfE compat_tests/test_cuda.py 2>&1 \
    | tee "$OUT/test_cuda.log"
  timeout 240 $PY -m pytest -q -p no:cacheprovider -n 8 -p no:benchmark -rfE compat_tests/test_core_smoke.py \
    compat_tests/test_compile.py compat_tests/test_func.py tests/test_seed_snippets.py 2>&1 \
    | tail -40 | tee "$OUT/test_cpu_subset.log"
fi
if [ "$mode" != "--tests-only" ]; then
  timeout 420 $PY benchmarks/bench_compile.py --device cuda --json 2>&1 | tee "$OUT/bench_cuda.log"
  cp benchmarks/results/bench_compile_cuda.* "$OUT/" 2>/dev/null || true
fi
