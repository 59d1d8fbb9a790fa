"""The scheduler: periodic scans (re-audit prompts, action reminders, digests, plugin jobs)."""
