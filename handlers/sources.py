"""Turning a Telegram message into something Skim can read."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from telegram import Message, MessageEntity, Update

from bot.content.sources import TextSource
from bot.content.urls import find_urls, message_links, other_scheme
from bot.content.words import line_tokens, reading_words

MIN_TEXT_WORDS = 40


# A reply that only thanks or acknowledges ("thanks!", "ok", "👍", "спасибо большое") is no
# question: answering it would cost a model call and post an answer nobody asked for.
_ACKNOWLEDGING = frozenset(
    [
        "thanks",
        "thank",
        "thx",
        "ty",
        "tysm",
        "cheers",
        "ok",
        "okay",
        "k",
        "great",
        "cool",
        "nice",
        "perfect",
        "awesome",
        "gotcha",
        "got",
        "спасибо",
        "спс",
        "благодарю",
        "ок",
        "окей",
        "понятно",
        "ясно",
        "круто",
        "отлично",
        "супер",
        "merci",
        "danke",
        "gracias",
        "obrigado",
        "obrigada",
        "grazie",
        "dank",
        "dankjewel",
    ]
)
_FILLER = frozenset(
    [
        "so",
        "much",
        "a",
        "lot",
        "very",
        "you",
        "again",
        "it",
        "man",
        "bro",
        "большое",
        "огромное",
        "тебе",
        "вам",
    ]
)


# Question marks of the scripts people ask in: Latin, full-width (Chinese, Japanese), Arabic
# and Persian, and Spanish's opening one.
_QUESTION_MARKS = frozenset("?？؟¿")


def asks(text: str) -> bool:
    """Whether the text holds a question mark, in any script."""
    return not _QUESTION_MARKS.isdisjoint(text)


def _squeezed(text: str) -> str:
    """Letters and digits only, case-folded: "Teşekkür ederim!" and "teşekkürederim" meet
    (combining marks go too, on both sides, so Devanagari and Arabic phrases compare whole)."""
    return "".join(char for char in text.casefold() if char.isalnum())


# Whole thank-yous and okays of languages whose words the word list cannot hold (no spaces,
# several words that are only thanks together), compared squeezed.
_ACKNOWLEDGING_PHRASES = frozenset(
    _squeezed(phrase)
    for phrase in (
        "谢谢",
        "谢谢你",
        "多谢",
        "感谢",
        "謝謝",
        "好的",
        "收到",
        "明白了",
        "ありがとう",
        "ありがとうございます",
        "どうも",
        "了解",
        "わかりました",
        "助かります",
        "감사합니다",
        "고마워",
        "고맙습니다",
        "알겠습니다",
        "좋아요",
        "شكرا",
        "شكراً",
        "شكرا جزيلا",
        "تمام",
        "حسنا",
        "תודה",
        "תודה רבה",
        "סבבה",
        "ممنون",
        "مرسی",
        "سپاس",
        "متشکرم",
        "धन्यवाद",
        "शुक्रिया",
        "ठीक है",
        "teşekkürler",
        "teşekkür ederim",
        "sağol",
        "sağ ol",
        "tamam",
        "дякую",
        "спасибі",
        "дуже дякую",
        "dzięki",
        "dziękuję",
        "vielen dank",
        "danke schön",
        "merci beaucoup",
        "muchas gracias",
        "vale",
        "grazie mille",
        "valeu",
        "muito obrigado",
        "cảm ơn",
        "cám ơn",
        "ขอบคุณ",
        "ขอบคุณครับ",
        "ขอบคุณค่ะ",
        "terima kasih",
        "makasih",
        "ευχαριστώ",
        "bedankt",
        "děkuji",
        "díky",
        "köszönöm",
        "kiitos",
        "tack",
        "takk",
        "tak",
    )
)


def only_acknowledges(text: str) -> bool:
    """Whether a reply only thanks or acknowledges: a few such words, or only emoji."""
    if not asks(text) and _squeezed(text) in _ACKNOWLEDGING_PHRASES:
        return True
    words = line_tokens(text)
    if not words:
        return bool(text.strip()) and not asks(text)
    return (
        len(words) <= 5
        and any(word in _ACKNOWLEDGING for word in words)
        and all(word in _ACKNOWLEDGING or word in _FILLER for word in words)
    )


def _marked_links(message: Message) -> list[str]:
    """What the message's url and text_link entities, in text and caption, point at."""
    kinds: list[str | None] = [MessageEntity.URL, MessageEntity.TEXT_LINK]
    return [
        (entity.url if entity.type == MessageEntity.TEXT_LINK else text) or ""
        for entities in (message.parse_entities(kinds), message.parse_caption_entities(kinds))
        for entity, text in entities.items()
    ]


def message_urls(message: Message) -> list[str]:
    """Links in a message: url and text_link entities of text and caption, then bare text."""
    return message_links(message.text or message.caption or "", _marked_links(message))


def unreadable_scheme(message: Message) -> str | None:
    """The scheme of a link in the message that is no web page (`ftp`, `file`...), if any."""
    return other_scheme(message.text or message.caption or "", _marked_links(message))


def without_links(message: Message) -> str:
    """The message's words with its written-out links taken out."""
    text = message.text or message.caption or ""
    kinds: list[str | None] = [MessageEntity.URL]
    for entities in (message.parse_entities(kinds), message.parse_caption_entities(kinds)):
        for shown in entities.values():
            text = text.replace(shown, " ")
    for written in find_urls(text):
        text = text.replace(written, " ")
    return " ".join(text.split())


def asks_beside_links(message: Message) -> bool:
    """A question mark outside the message's links: words about the links, not just links.

    A reply to a summary that only shares another link wants that link read; "how does this
    compare with <link>?" is a question about the summary.
    """
    if not asks(message.text or message.caption or ""):
        return False  # no question mark anywhere: no need to take the links out
    return asks(without_links(message))


def text_source(message: Message) -> TextSource | None:
    """The message's own text, when it is long enough to be worth summarizing."""
    text = message.text or message.caption or ""
    if reading_words(text) >= MIN_TEXT_WORDS:
        return TextSource(text)
    return None


def typed_text_source(text: str) -> TextSource | None:
    """Text typed after a command or a mention: it was asked for, so half the length will do."""
    return TextSource(text) if reading_words(text) >= MIN_TEXT_WORDS // 2 else None


@dataclass
class Paste:
    """Parts of one long paste, collected until the user stops sending."""

    update: Update
    parts: list[str] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None


@dataclass
class Album:
    """Pictures sent together (one media group), collected until the last has arrived."""

    messages: list[tuple[Update, Message]] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None


def replied_message(message: Message) -> Message | None:
    """The message this one answers; None for the topic's opening message a topic reply carries."""
    target = message.reply_to_message
    if target is None or target.forum_topic_created is not None:
        return None
    if message.is_topic_message and target.message_id == message.message_thread_id:
        return None
    return target
