"""A tiny hand-made city: two streets, three compounds, seven buildings.

::

    city 0 ─ district 1 ─┬─ street 2 ─ community 4 ─┬─ compound 6 ─ buildings 9, 10, 11
                         │                           └─ compound 7 ─ buildings 12, 13
                         └─ street 3 ─ community 5 ─── compound 8 ─ buildings 14, 15

Buildings in a row 9-10-11-12-13-14-15 (adjacent to the next one; 13-14
crosses the street boundary); compounds 6-7-8 in a row.
"""

from __future__ import annotations

import numpy as np
import pytest

from epicontrol.core.zones import AreaGraph

PARENT = {0: -1, 1: 0, 2: 1, 3: 1, 4: 2, 5: 3, 6: 4, 7: 4, 8: 5}
PARENT.update({9: 6, 10: 6, 11: 6, 12: 7, 13: 7, 14: 8, 15: 8})
LEVELS = {0: 0, 1: 1, 2: 2, 3: 2, 4: 3, 5: 3, 6: 4, 7: 4, 8: 4}
LEVELS.update(dict.fromkeys(range(9, 16), 5))
EDGES = [(9, 10), (10, 11), (11, 12), (12, 13), (13, 14), (14, 15), (6, 7), (7, 8)]


def tiny_graph() -> AreaGraph:
    ids = np.array(sorted(PARENT))
    edges = np.array(EDGES)
    return AreaGraph.build(
        area_id=ids,
        parent_id=[PARENT[i] for i in ids],
        level=[LEVELS[i] for i in ids],
        edge_a=edges[:, 0],
        edge_b=edges[:, 1],
    )


@pytest.fixture()
def graph() -> AreaGraph:
    return tiny_graph()
