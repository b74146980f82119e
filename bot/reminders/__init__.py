"""Reminders, subscriptions and staff broadcasts."""
