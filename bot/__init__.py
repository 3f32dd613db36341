"""Skim: reads links, texts and documents so its users don't have to."""

__version__ = "0.1.0"
