"""Reports for people: the project dashboard (one self-contained HTML page, or Markdown)."""

from labelloop.report.dashboard import build_dashboard, dashboard_data, dashboard_markdown, write_dashboard

__all__ = ["build_dashboard", "dashboard_data", "dashboard_markdown", "write_dashboard"]
