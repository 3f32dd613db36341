"""Faults, end to end: each ends, and the bot is fully back without a restart (or after one)."""
