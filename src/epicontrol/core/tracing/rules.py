"""Contact rules (十同) and the infectious window.

The defaults are those of the city plans (DESIGN.md §2, issue "Contact
tracing engine"): co-presence of at least 15 minutes at a venue makes a close
contact (密接), the same venue within the same hour a general contact (一般接触者),
the infectious window starts two days before symptom onset (or before the
sample date when asymptomatic) and ends at isolation, and a stay of four hours
or more in a risk venue during the risk window gives a yellow code (黄码).

References
----------
.. [1] 国务院联防联控机制综合组, 新型冠状病毒肺炎防控方案 (第九版), 2022 —
   definitions of close, secondary and general contacts and of the
   infectious window (2 days before onset or sampling).
.. [2] Shenzhen and Fuzhou city plans in ``seeds/`` (1+4+6+24 playbook,
   yellow code after ≥ 4 h in a risk area).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MINUTES_PER_DAY = 1440


@dataclass(frozen=True)
class TracingRules:
    """Thresholds and switches of the contact rules.

    Attributes
    ----------
    overlap_minutes : int
        Minimum co-presence, in minutes, of one stay of the case (or, for
        secondary contacts, of the close contact) and one stay of another
        person at the same venue that makes a close contact (default 15).
    general_window_minutes : int
        Two stays at the same venue that overlap by less than
        ``overlap_minutes`` but come within this many minutes of each other
        (gap between them ≤ this) make a general contact (default 60).
    pre_onset_days : int
        The infectious window starts this many days before symptom onset, or
        before the sample date of an asymptomatic infection (default 2).
    yellow_hours : float
        Cumulative stay, in hours, in the risk venues during the risk window
        that gives a yellow code (default 4).
    household : bool
        Household members (同住) are close contacts for the whole infectious
        window, and household members of close contacts are secondary contacts.
    groups : bool
        Classmates and colleagues (同学, 同事: the same class or team) are close
        contacts on the days both checked in at their organisation venue.
    secondary : bool
        Compute secondary contacts (次密接).
    """

    overlap_minutes: int = 15
    general_window_minutes: int = 60
    pre_onset_days: int = 2
    yellow_hours: float = 4.0
    household: bool = True
    groups: bool = True
    secondary: bool = True

    def validate(self) -> None:
        """Raise ``ValueError`` naming the field and the rule it breaks."""
        for name in ("overlap_minutes", "general_window_minutes", "pre_onset_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be an integer, got {value!r}")
        if not 1 <= self.overlap_minutes <= MINUTES_PER_DAY:
            raise ValueError(
                f"overlap_minutes must be between 1 and {MINUTES_PER_DAY}, "
                f"got {self.overlap_minutes}"
            )
        if not 0 <= self.general_window_minutes <= MINUTES_PER_DAY:
            raise ValueError(
                f"general_window_minutes must be between 0 and {MINUTES_PER_DAY}, "
                f"got {self.general_window_minutes}"
            )
        if not 0 <= self.pre_onset_days <= 30:
            raise ValueError(f"pre_onset_days must be between 0 and 30, got {self.pre_onset_days}")
        hours = self.yellow_hours
        if isinstance(hours, bool) or not isinstance(hours, int | float):
            raise ValueError(f"yellow_hours must be a number, got {hours!r}")
        if not math.isfinite(hours) or not 0 < hours <= 24 * 366:
            raise ValueError(f"yellow_hours must be > 0 and at most {24 * 366} hours, got {hours}")
        for name in ("household", "groups", "secondary"):
            if not isinstance(getattr(self, name), bool):
                raise ValueError(f"{name} must be True or False, got {getattr(self, name)!r}")

    @property
    def yellow_minutes(self) -> float:
        """``yellow_hours`` in minutes."""
        return float(self.yellow_hours) * 60.0


def infectious_window(
    *, onset: int | None, sample: int | None, isolated: int, rules: TracingRules
) -> tuple[int, int]:
    """Infectious window ``[start, end)`` of a case, in minutes since the lake's epoch.

    The window starts ``rules.pre_onset_days`` days before symptom onset or,
    for an asymptomatic infection (``onset is None``), before the sample date,
    and ends at isolation [1]_.

    Parameters
    ----------
    onset : int or None
        Symptom onset, minutes since the epoch; ``None`` when asymptomatic.
    sample : int or None
        Time the positive sample was taken; used only when ``onset`` is ``None``.
    isolated : int
        Time the case was isolated.
    rules : TracingRules
        Gives ``pre_onset_days``.

    Returns
    -------
    (start, end) : tuple of int
        ``start = (onset or sample) - pre_onset_days * 1440`` and ``end = isolated``.

    Raises
    ------
    ValueError
        If both ``onset`` and ``sample`` are ``None``, a time is not an integer,
        or the window is empty (``end <= start``).

    References
    ----------
    .. [1] 新型冠状病毒肺炎防控方案 (第九版), 2022 (密切接触者判定).
    """
    rules.validate()
    for name, value in (("onset", onset), ("sample", sample), ("isolated", isolated)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise ValueError(f"{name} must be an integer number of minutes, got {value!r}")
    if onset is None and sample is None:
        raise ValueError(
            "onset or sample is required: the window starts before symptom onset, "
            "or before the sample date when asymptomatic"
        )
    reference = onset if onset is not None else sample
    assert reference is not None
    start = reference - rules.pre_onset_days * MINUTES_PER_DAY
    if isolated <= start:
        which = "onset" if onset is not None else "sample"
        raise ValueError(
            f"isolated ({isolated}) must be after the window start ({start} = {which} "
            f"- {rules.pre_onset_days} days): the infectious window would be empty"
        )
    return start, isolated
