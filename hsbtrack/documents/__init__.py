"""Documents: files behind an agency's response (the evidence library, issue 16)."""
