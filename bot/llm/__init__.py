"""Writing: the LLM client, prompts, long-document chunking, Q&A, and the extractive fallback.

Import from the modules themselves: importing this package must not load the engine, so that
`bot.values` (which needs the prompts' presets) stays light.
"""
