"""In-app notifications and emails, each recorded once under an idempotency key."""
