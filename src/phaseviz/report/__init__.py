"""The HTML report, its CSV and PNG files, and the temporary web page.

``export_report`` writes a report folder; ``serve_report`` shows a page
from a short-lived server on 127.0.0.1 that deletes it once it is closed.
"""

from phaseviz.report.files import ReportFiles, export_report, render_report
from phaseviz.report.server import serve_report

__all__ = ["ReportFiles", "export_report", "render_report", "serve_report"]
