"""Hostile input, end to end: each case gets a clear message or a deliberate silence."""
