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
    "• send a PDF, TXT, Markdown or HTML file (up to 20 MB) — I read it;\n"
    "/start — welcome message\n"
    "/help — this help"
)
NOTHING_TO_READ = (
    "Send me a link or paste a longer text (a few sentences at least) and I'll summarize it."
)
INTERNAL_ERROR = "Sorry, something went wrong on my side. Please try again in a moment."
DOCUMENT_UNSUPPORTED = "I can read PDF, TXT, Markdown and HTML files. Send one of those, or a link."
DOCUMENT_TOO_BIG = (
    "That file is too big for me: Telegram lets bots download files up to 20 MB. "
    "Send a link to it instead, or a smaller file."
)
DOCUMENT_DOWNLOAD_FAILED = "I couldn't download that file from Telegram. Please send it again."


def more_links_note(limit: int, total: int) -> str:
    """Said when a message holds more links than are summarized."""
    return f"Your message has {total} links; I summarized the first {limit}."
