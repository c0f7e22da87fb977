"""Test-suite-wide settings (loaded before any test module imports torchlike)."""

import os

# JAX's persistent compilation cache (torchlike/_cache.py) stays off in the suite: results and
# compile counts must not depend on what an earlier run left in the cache. test_cache.py turns it
# on in its own subprocesses.
os.environ.setdefault("TORCHLIKE_CACHE_DIR", "off")
