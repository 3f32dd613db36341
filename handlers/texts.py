"""Interface strings in one place."""

from __future__ import annotations

WELCOME = (
    "Hi! I'm Skim. I read so you don't have to.\n\n"
    "Send me a link, paste a long text, or forward a post, and I'll answer with a short, "
    "faithful summary."
)
HELP = (
    "How to use Skim:\n"
    "• send a link — I fetch the page and summarize the article;\n"
    "• paste a long text or forward a post — I summarize it;\n"
    "/start — welcome message\n"
    "/help — this help"
)
NOTHING_TO_READ = (
    "Send me a link or paste a longer text (a few sentences at least) and I'll summarize it."
)
INTERNAL_ERROR = "Sorry, something went wrong on my side. Please try again in a moment."
