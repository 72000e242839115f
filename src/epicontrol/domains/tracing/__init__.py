"""Contact tracing records (流调): cases, investigations, contacts, reports, assistance.

``models`` holds the ORM tables, ``schemas`` the pydantic views, ``service``
runs the engine (:mod:`epicontrol.core.tracing`) for a case and writes its
records, ``report`` makes the per-case report (一图一表一报告) and ``assist``
the regional-assistance lists (区域协查).  Format and rules: ``docs/tracing.md``.
"""
