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
    "group_welcome": {
        "en": "Hi, I'm Skim: I summarize links and long texts, so not everyone has to read them.\n"
        "• Reply /summary to a message with a link, or mention me with the link.\n"
        "• Reply to my summary with a question and I'll answer from the article.\n"
        "• Admins: /autosummary on and I'll summarize every link posted here; /settings sets "
        "length and language.",
        "ru": "Привет, я Skim: пересказываю ссылки и длинные тексты, чтобы не всем приходилось "
        "их читать.\n"
        "• Ответьте /summary на сообщение со ссылкой или упомяните меня вместе со ссылкой.\n"
        "• Ответьте на мой пересказ вопросом — отвечу по тексту статьи.\n"
        "• Администраторам: /autosummary on — и я буду пересказывать каждую ссылку здесь; "
        "/settings — длина и язык.",
    },
    "group_welcome_privacy": {
        "en": "For /autosummary I need to see the links people post: make me an admin of this "
        "group (no rights are needed). Until then I see only commands, mentions and replies to "
        "me.",
        "ru": "Для /autosummary мне нужно видеть ссылки участников: сделайте меня "
        "администратором группы (права не нужны). Пока я вижу только команды, упоминания и "
        "ответы мне.",
    },
    "channel_welcome": {
        "en": "I'm in «{channel}» now. Post /autosummary on there and I'll add a short summary "
        "under each post with a link (I delete the command post); /settings there sets length "
        "and language.",
        "ru": "Теперь я в «{channel}». Опубликуйте там /autosummary on — и под каждым постом со "
        "ссылкой появится краткий пересказ (пост с командой я удалю); /settings там — длина и "
        "язык.",
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
