"""The durable outbox: every push is a row first, delivered later by a worker (issue 5)."""
