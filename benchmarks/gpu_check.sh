#!/usr/bin/env bash
# GPU session check (run on a machine with an NVIDIA GPU, JAX with CUDA and torch): environment,
# torchlike's GPU tests, a CPU subset of the suite under that machine's JAX/torch versions, and
# (with --bench) the training-step benchmark on the GPU. Logs go to $OUT (or ./gpu_check_out).
#     bash benchmarks/gpu_check.sh [--tests-only | --bench-only | --gpu-tests]
# (--gpu-tests: the GPU tests and the benchmark, without the CPU subset). BENCH_MODELS picks the
# models (default: mlp cnn lstm transformer), BENCH_TIMEOUT (120 s) limits each, and
# BENCH_TIMEOUT_<model> one of them.
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
  timeout 300 $PY -m pytest -q -p no:cacheprovider -p no:benchmark -rfE compat_tests/test_cuda.py \
    compat_tests/test_device.py 2>&1 | tail -60 | tee "$OUT/test_cuda.log"
  [ "$mode" = "--gpu-tests" ] || timeout 240 $PY -m pytest -q -p no:cacheprovider -n 8 \
    -p no:benchmark -rfE compat_tests/test_core_smoke.py \
    compat_tests/test_compile.py compat_tests/test_func.py tests/test_seed_snippets.py 2>&1 \
    | tail -40 | tee "$OUT/test_cpu_subset.log"
fi
if [ "$mode" != "--tests-only" ]; then
  # one model per process, so that a time limit loses one model at most
  for m in ${BENCH_MODELS:-mlp cnn lstm transformer}; do
    limit=BENCH_TIMEOUT_$m
    timeout "${!limit:-${BENCH_TIMEOUT:-120}}" $PY benchmarks/bench_compile.py --device cuda \
      --model $m --quick --json 2>&1 | tee -a "$OUT/bench_cuda.log"
    cp benchmarks/results/bench_compile_cuda.json "$OUT/bench_cuda_$m.json" 2>/dev/null || true
  done
fi
