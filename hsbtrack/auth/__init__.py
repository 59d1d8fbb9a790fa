"""Accounts: users, passwords, login throttling, API tokens, invitations and password resets."""
