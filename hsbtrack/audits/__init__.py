"""The audit cycle: agencies score the framework, the partnership agrees scores, re-audits follow."""
