"""Who downloaded what, when: every export, report and file leaves a line in the download log."""
