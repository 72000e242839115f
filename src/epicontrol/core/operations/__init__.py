"""Response operations.

Playbooks and SLA clocks, quarantine assignment and transfers, testing campaigns.
"""
