"""Helpers for the Redis tests: a private redis-server, and scripts run as separate processes."""
