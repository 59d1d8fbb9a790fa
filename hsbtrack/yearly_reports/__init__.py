"""Yearly reports: the statutory papers a partnership (or a region's board) writes each year — a data draft
assembled for a period, narrative sections written in the app and saved as versions, and PDF and Word files
made by a job. Kinds of report come through the ``hsbtrack_yearly_report_kinds`` hook (the core's own:
England's partnership yearly report)."""
