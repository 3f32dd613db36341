"""Telegram-facing handlers: parse the update, call the service, render, reply."""
