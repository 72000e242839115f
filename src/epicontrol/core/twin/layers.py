"""Contact layers of the twin: household, school, work (groups) and community (pools).

*Group layers.*  Every member of a household, school class or work team
meets every other member on each day the layer is active for both: always
for households; on the agent's ``active_days`` (school and work, attended
with the layer's ``attendance`` probability, drawn per agent and day).  The
three layers share one id space (households first, then classes, then
teams) so one CSR of members serves the kernels.

*Community layer.*  Contacts outside home, school and work are random within
nested pools — the home community, the district, the city — in the
proportions ``level_shares``.  Agent *i* makes ``a_i`` contacts a day and its
partners are drawn in proportion to their own ``a_j`` (a Chung–Lu random
graph per pool, redrawn daily [1]_), so the infectious pressure on *i* in
pool *k* is ``β a_i Σ_{j∈k} a_j w_j / Σ_{j∈k} a_j`` — Starsim's *mixing pools*
[2]_ with activity weights.  ``a_i`` is either ``contacts[age bin]`` of the
parameters (× ``weekend_factor`` at weekends) or, driven by the lake,
``contacts_per_visit`` × the agent's mean daily venue check-ins outside its
own organisation on weekdays and at weekends (:func:`activity_from_checkins`).

References
----------
.. [1] F. Chung and L. Lu, "Connected components in random graphs with given
   expected degree sequences", *Ann. Comb.* 6:125–145, 2002.
.. [2] D. J. Klein et al., Starsim 3 (``ss.MixingPool``), Institute for
   Disease Modeling, 2025.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from ..city.generator import GeneratedCity
from .params import TwinParams
from .population import Population

F32 = NDArray[np.float32]
I32 = NDArray[np.int32]
I64 = NDArray[np.int64]
#: Group layers, in the order of :class:`GroupIndex` rows.
GROUP_LAYERS = ("household", "school", "work")


@dataclass(frozen=True)
class GroupIndex:
    """The three group layers in one id space.

    ``group_of[l, i]`` is agent *i*'s global group id in group layer *l*
    (−1: none); ``members[offsets[g]:offsets[g + 1]]`` are group *g*'s
    agents; ``layer_of_group[g]`` its layer.
    """

    group_of: I32  # (3, n)
    offsets: I64
    members: I32
    layer_of_group: NDArray[np.int8]

    @property
    def n_groups(self) -> int:
        return len(self.offsets) - 1


def build_group_index(pop: Population) -> GroupIndex:
    """Concatenate the household, school and work CSRs of ``pop``."""
    parts = [pop.groups(name) for name in GROUP_LAYERS]
    counts = [p.count for p in parts]
    bases = np.r_[0, np.cumsum(counts)].astype(np.int64)
    group_of = np.full((3, pop.n), -1, dtype=np.int32)
    for layer, (of, base) in enumerate(
        zip((pop.household, pop.school_group, pop.work_group), bases, strict=False)
    ):
        has = of >= 0
        group_of[layer, has] = of[has] + np.int32(base)
    offsets = np.zeros(int(bases[-1]) + 1, dtype=np.int64)
    pos = 0
    for p, base in zip(parts, bases, strict=False):
        offsets[int(base) : int(base) + p.count + 1] = p.offsets + pos
        pos += len(p.members)
    members = np.concatenate([p.members for p in parts]).astype(np.int32)
    layer_of_group = np.repeat(np.arange(3, dtype=np.int8), counts)
    return GroupIndex(group_of, offsets, members, layer_of_group)


@dataclass(frozen=True)
class CommunityActivity:
    """Daily community contacts ``a_i``: row 0 on weekdays, row 1 at weekends."""

    contacts: F32  # (2, n)
    source: str  # "age table" or "check-ins"

    def mean(self) -> tuple[float, float]:
        return float(self.contacts[0].mean()), float(self.contacts[1].mean())


def activity_from_params(
    pop: Population, params: TwinParams, age_bin: NDArray[np.int8]
) -> CommunityActivity:
    """``a_i`` from the parameters' contacts per age bin and weekend factor."""
    c = np.asarray(params.layers.community.contacts, dtype=np.float32)[age_bin]
    weekend = c * np.float32(params.layers.community.weekend_factor)
    return CommunityActivity(np.stack([c, weekend]).astype(np.float32), "age table")


def activity_from_checkins(
    batches: Iterable[pa.RecordBatch],
    *,
    pop: Population,
    org_venue: I32,
    day_is_weekend: NDArray[np.bool_],
    contacts_per_visit: float,
) -> CommunityActivity:
    """``a_i`` from the lake's check-ins: visits per person-day × ``contacts_per_visit``.

    Parameters
    ----------
    batches : record batches with ``person_id``, ``venue_id`` and ``t_in``
        (minutes since the epoch); the day of a row is ``t_in // 1440``.
    org_venue : the venue of each agent's own organisation (−1: none); visits
        there are the school / work layers, not the community layer.
    day_is_weekend : one flag per lake day (indexed by day).
    """
    n = pop.n
    if org_venue.shape != (n,):
        raise ValueError(f"org_venue must have one value per agent ({n})")
    n_days = len(day_is_weekend)
    weekend_days = int(day_is_weekend.sum())
    weekday_days = n_days - weekend_days
    if n_days == 0:
        raise ValueError("day_is_weekend must cover at least one day")
    counts = np.zeros((2, n), dtype=np.float64)
    for batch in batches:
        person = batch.column("person_id").to_numpy()
        venue = batch.column("venue_id").to_numpy()
        day = batch.column("t_in").to_numpy() // 1440
        if len(person) and (int(person.min()) < 0 or int(person.max()) >= n):
            raise ValueError("check-ins: person_id outside the population")
        if len(day) and (int(day.min()) < 0 or int(day.max()) >= n_days):
            raise ValueError("check-ins: a check-in lies outside day_is_weekend's days")
        keep = venue != org_venue[person]
        row = day_is_weekend[day[keep]].astype(np.int64)
        np.add.at(counts, (row, person[keep]), 1.0)
    if weekday_days:
        counts[0] /= weekday_days
    if weekend_days:
        counts[1] /= weekend_days
    if not weekday_days:
        counts[0] = counts[1]
    if not weekend_days:
        counts[1] = counts[0]
    return CommunityActivity((counts * contacts_per_visit).astype(np.float32), "check-ins")


def activity_from_city(
    city: GeneratedCity, pop: Population, params: TwinParams, *, days: int = 7
) -> CommunityActivity:
    """Drive the community layer by ``days`` days of the generated city's check-ins."""
    if not 1 <= days <= 28:
        raise ValueError(f"days must be between 1 and 28, got {days}")
    if city.persons.num_rows != pop.n:
        raise ValueError("city and population must have the same persons")
    start = city.params.start.weekday()
    weekend = np.array([(start + d) % 7 >= 5 for d in range(days)])
    org = city.persons.column("org_venue_id").fill_null(-1).to_numpy().astype(np.int32)

    def stream() -> Iterable[pa.RecordBatch]:
        for d in range(days):
            yield from city.checkins_for_day(d)

    return activity_from_checkins(
        stream(),
        pop=pop,
        org_venue=org,
        day_is_weekend=weekend,
        contacts_per_visit=params.layers.community.contacts_per_visit,
    )
