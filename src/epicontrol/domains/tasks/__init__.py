"""Task records of the deadline playbooks (1+4+6+24, 2+4+24) and their SLA clocks.

``models`` holds the ORM tables (tasks, their audited events, the playbook
opened for each case), ``schemas`` the pydantic views and ``service`` opens a
case's playbook, creates, starts, completes, cancels and escalates tasks and
computes the KPIs with :mod:`epicontrol.core.operations`.  Formats and rules:
``docs/tasks.md``.
"""
