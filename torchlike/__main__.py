"""``python -m torchlike SCRIPT.py [args...]``: run an unmodified PyTorch script on torchlike.

``import torch`` / ``import torchvision`` (and their submodules) in the script import torchlike
(see :mod:`torchlike._aliasing`); the script runs as ``__main__`` with ``sys.argv`` set to
``[SCRIPT.py, args...]`` and its directory first on ``sys.path``, as ``python SCRIPT.py`` would.
``python -m torchlike -m MODULE [args...]`` runs a module the same way.
"""

from __future__ import annotations

import os
import runpy
import sys

from ._aliasing import install_torch_alias

_USAGE = ("usage: python -m torchlike SCRIPT.py [args...]\n"
          "       python -m torchlike -m MODULE [args...]")


def main(argv: list[str]) -> None:
    if not argv or argv[0] in ("-h", "--help") or (argv[0] == "-m" and len(argv) < 2):
        print(_USAGE, file=sys.stderr if not argv or argv[0] == "-m" else sys.stdout)
        raise SystemExit(0 if argv and argv[0] in ("-h", "--help") else 2)
    install_torch_alias()
    if argv[0] == "-m":
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
        return
    script = argv[0]
    if not os.path.exists(script):
        print(f"python -m torchlike: can't open file {script!r}: [Errno 2] No such file or "
              f"directory", file=sys.stderr)
        raise SystemExit(2)
    sys.argv = list(argv)
    sys.path[0] = os.path.dirname(os.path.abspath(script))
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
