"""The operator library: every module here declares ops through :mod:`.registry`."""

from . import registry  # noqa: F401
from . import internal, pointwise, reduction, shape, indexing, linalg_core, random_ops  # noqa: F401,E402
from . import copies, linalg_extra, misc_ops, special_ops  # noqa: F401,E402
