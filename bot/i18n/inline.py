"""Interface strings: inline mode (`@bot <link>` in any chat) and the deep links it hands out."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "inline_summarizing": {"en": "Summarizing…", "ru": "Пересказываю…"},
    "inline_summarizing_description": {
        "en": "Open the bot to read it now, or type the link again in a few seconds.",
        "ru": "Откройте бота, чтобы прочитать сейчас, или повторите ссылку через пару секунд.",
    },
    "inline_pending_message": {
        "en": "Skim is summarizing this link. Tap the button to read the summary.",
        "ru": "Skim пересказывает эту ссылку. Нажмите кнопку, чтобы прочитать пересказ.",
    },
    "inline_open_bot": {"en": "Open the bot to read it now", "ru": "Прочитать в боте сейчас"},
    "inline_read_button": {"en": "Read the summary", "ru": "Читать пересказ"},
    "inline_ask_button": {"en": "Ask Skim about it", "ru": "Спросить Skim"},
    "inline_continued": {
        "en": "The summary is longer: open it in the bot to read the rest.",
        "ru": "Пересказ длиннее: откройте его в боте, чтобы прочитать полностью.",
    },
    "inline_failed_title": {
        "en": "Couldn't summarize this link",
        "ru": "Не удалось пересказать ссылку",
    },
    "inline_invalid_link": {
        "en": "That doesn't look like a valid link.",
        "ru": "Это не похоже на правильную ссылку.",
    },
    "inline_how_to": {"en": "How to use Skim inline", "ru": "Как пользоваться Skim в чатах"},
    "inline_no_link": {
        "en": "No link here: how to use Skim inline",
        "ru": "Здесь нет ссылки: как пользоваться Skim",
    },
    "inline_help": {
        "en": "Summaries in any chat: type @{bot} and a space in the message field, then paste a "
        "link. If I have read it before, the summary shows up at once: tap it to send it. If not, "
        "I start reading: open the bot from the button to read it right away, or type the link "
        "again a few seconds later and pick the summary.",
        "ru": "Пересказы в любом чате: наберите в поле сообщения @{bot} и пробел, затем вставьте "
        "ссылку. Если я уже читал страницу, пересказ появится сразу — нажмите на него, чтобы "
        "отправить. Если нет, я начну читать: откройте бота кнопкой, чтобы прочитать сразу, или "
        "повторите ссылку через несколько секунд и выберите пересказ.",
    },
    "deeplink_unknown": {
        "en": "That link to a summary has expired or isn't valid. Send me the page's link and "
        "I'll summarize it again.",
        "ru": "Эта ссылка на пересказ устарела или неверна. Пришлите ссылку на страницу — "
        "перескажу заново.",
    },
}
