"""The compiled pass behind :meth:`audit.population.groups.CellLayout.encode`.

A cell code is the C-order flat index of one person's attribute codes. When
every attribute's code can be read off one byte per person through a table of
at most 256 entries (int8 quintiles, categorical codes, booleans, or codes
already worked out), the whole cell code is one loop over the people here,
instead of a full-length numpy temporary per attribute and per operation.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["cells_of_bytes"]


@numba.njit(cache=True, nogil=True)
def cells_of_bytes(raws, tables, sizes, out):  # pragma: no cover - compiled
    """Write each person's cell code into ``out``.

    ``raws`` is a tuple of one uint8 array per attribute (one byte per person),
    ``tables[j, b]`` the code of byte ``b`` of attribute ``j`` and ``sizes[j]``
    how many labels attribute ``j`` has. The numpy formulation::

        out = 0
        for j, raw in enumerate(raws):
            out = out * sizes[j] + tables[j][raw]
    """
    k = len(raws)
    for i in range(out.shape[0]):
        code = np.int64(0)
        for j in range(k):
            code = code * sizes[j] + tables[j, raws[j][i]]
        out[i] = code
