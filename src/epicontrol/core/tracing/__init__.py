"""Contact tracing engine (流调): space-time index, contact rules (十同), chains, yellow code.

* :mod:`.index` — :class:`~.index.CheckinIndex`, the lake's venue check-ins sorted
  by (venue, time in) and by (person, time in) with per-venue and per-person
  offsets; built once per lake version, saved as Arrow IPC files and
  memory-mapped back.
* :mod:`.rules` — :class:`~.rules.TracingRules` (thresholds and switches) and
  :func:`~.rules.infectious_window`.
* :mod:`.engine` — :func:`~.engine.trace`: close (密接), secondary (次密接) and
  general (一般接触者) contacts and the yellow-code list (黄码) of a batch of
  cases, one Arrow row per contacted person and category.
* :mod:`.chains` — :func:`~.chains.transmission_graph`: cases linked through
  their contacts, clusters and generations, exported as JSON and GraphML.
* :mod:`.inputs` (cases, registry and their checks), :mod:`.kernels` (the
  numba loops) and :mod:`.table` (the contact table) serve :mod:`.engine`.

The definitions (what exactly makes a contact, and every output field) are
written out in :mod:`.engine`'s docstring; ``tests/core/tracing`` checks them
against a brute-force oracle.
"""

from .chains import TransmissionGraph, transmission_graph
from .engine import CONTACT_SCHEMA, CaseInput, Registry, trace, venue_contacts
from .index import CheckinIndex
from .rules import TracingRules, infectious_window

__all__ = [
    "CONTACT_SCHEMA",
    "CaseInput",
    "CheckinIndex",
    "Registry",
    "TracingRules",
    "TransmissionGraph",
    "infectious_window",
    "trace",
    "transmission_graph",
    "venue_contacts",
]
