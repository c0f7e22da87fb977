"""The operator library: every module here declares ops through :mod:`.registry`."""

from . import registry  # noqa: F401
from . import pointwise, reduction, linalg_core, internal  # noqa: F401,E402
