"""The durable outbox: every push is a row first, delivered later by a worker.

It serves every feature (reminders, status notices, broadcasts, the web inbox): its table, index,
settings (``rules/outbox.yaml``) and worker job live here, below the features that enqueue."""
