"""The city board's figures (KPIs against the standards) and the daily report (日报).

``service`` computes the board of a day for the city or one community and the
public list of risk zones; ``report`` assembles the daily report with its
zero-reports (日报告零报告) and ``render`` writes it as HTML (inline CSS and
SVG) and PDF (headless Chromium).  Definitions and formats: ``docs/report.md``.
"""
