"""Notifications: queued on Redis, delivered by the worker through a sender (sandbox by default)."""
