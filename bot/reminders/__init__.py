"""Reminders, subscriptions and staff broadcasts (issue 5)."""
