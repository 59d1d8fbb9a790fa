"""UK GDPR duties (issue 21): subject access exports, erasure of departed people (with holds) and retention
rules with a review before anything is deleted. The record of processing is docs/privacy.md."""
