"""Interface strings: groups and channels."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "group_link_seen": {
        "en": "I summarized this link here earlier: {link}",
        "ru": "Эту ссылку я уже пересказывал здесь: {link}",
    },
    "group_link_seen_above": {
        "en": "I summarized this link here earlier — this is the summary.",
        "ru": "Эту ссылку я уже пересказывал здесь — вот пересказ.",
    },
    "group_mention_usage": {
        "en": "Mention me with a link or a longer text, or mention me in reply to a message "
        "with a link, and I'll summarize it. Reply to my summary with a question and I'll "
        "answer from the article.",
        "ru": "Упомяните меня вместе со ссылкой или длинным текстом, или упомяните меня в ответ "
        "на сообщение со ссылкой — я его перескажу. Ответьте на мой пересказ вопросом — отвечу "
        "по тексту статьи.",
    },
}
