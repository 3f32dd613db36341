"""Interface strings: settings, /stats and the command menus."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    # /settings and the setting commands
    "settings_title_private": {"en": "Your settings:", "ru": "Ваши настройки:"},
    "settings_title_chat": {"en": "Settings for this chat:", "ru": "Настройки этого чата:"},
    "settings_body": {
        "en": "Length: {length}\nStyle: {style}\nSummary language: {lang}\nAuto-summary: {auto}",
        "ru": "Длина: {length}\nСтиль: {style}\nЯзык пересказа: {lang}\nАвто-пересказ: {auto}",
    },
    "settings_tap": {"en": "Tap a button to change.", "ru": "Нажмите кнопку, чтобы изменить."},
    "settings_admins_can_change": {
        "en": "Only this chat's admins can change them.",
        "ru": "Изменить их могут только администраторы чата.",
    },
    "settings_admins_only": {
        "en": "Sorry, only this chat's admins can change its settings.",
        "ru": "Извините, менять настройки чата могут только его администраторы.",
    },
    "settings_unchanged": {"en": "Already set.", "ru": "Уже выбрано."},
    "settings_done": {"en": "Done", "ru": "Готово"},
    "setting_length": {"en": "Length", "ru": "Длина"},
    "setting_style": {"en": "Style", "ru": "Стиль"},
    "setting_language": {"en": "Summary language", "ru": "Язык пересказа"},
    "setting_auto": {"en": "Auto-summary", "ru": "Авто-пересказ"},
    "setting_saved": {"en": "Saved: {name} — {value}.", "ru": "Сохранено: {name} — {value}."},
    "setting_current": {"en": "{name}: {value}.", "ru": "{name}: {value}."},
    "setting_not_saved": {
        "en": "Sorry, I couldn't save that: my storage is unavailable right now. "
        "Nothing was changed; please try again in a minute.",
        "ru": "Извините, не получилось сохранить: хранилище сейчас недоступно. "
        "Ничего не изменилось; попробуйте ещё раз через минуту.",
    },
    "setting_not_saved_short": {
        "en": "Not saved: storage is unavailable. Try again later.",
        "ru": "Не сохранено: хранилище недоступно. Попробуйте позже.",
    },
    "length_short": {"en": "short", "ru": "короткая"},
    "length_medium": {"en": "medium", "ru": "средняя"},
    "length_long": {"en": "long", "ru": "длинная"},
    "style_bullets": {"en": "bullets", "ru": "списком"},
    "style_paragraph": {"en": "paragraph", "ru": "абзацем"},
    "language_auto": {"en": "auto (the article's language)", "ru": "авто (язык статьи)"},
    "auto_on": {"en": "on", "ru": "включён"},
    "auto_off": {"en": "off", "ru": "выключен"},
    "button_length_short": {"en": "Short", "ru": "Коротко"},
    "button_length_medium": {"en": "Medium", "ru": "Средне"},
    "button_length_long": {"en": "Long", "ru": "Подробно"},
    "button_style_bullets": {"en": "Bullets", "ru": "Списком"},
    "button_style_paragraph": {"en": "Paragraph", "ru": "Абзацем"},
    "button_language_auto": {"en": "Auto", "ru": "Авто"},
    "button_auto_on": {"en": "Auto-summary on", "ru": "Авто-пересказ вкл"},
    "button_auto_off": {"en": "Auto-summary off", "ru": "Авто-пересказ выкл"},
    "usage_lang": {
        "en": "Usage: /lang CODE or /lang auto (the article's own language). Codes: {codes}.",
        "ru": "Использование: /lang КОД или /lang auto (язык самой статьи). Коды: {codes}.",
    },
    "usage_length": {
        "en": "Usage: /length short, /length medium or /length long.",
        "ru": "Использование: /length short, /length medium или /length long.",
    },
    "usage_style": {
        "en": "Usage: /style bullets or /style paragraph.",
        "ru": "Использование: /style bullets или /style paragraph.",
    },
    "usage_autosummary": {
        "en": "Usage: /autosummary on or /autosummary off.",
        "ru": "Использование: /autosummary on или /autosummary off.",
    },
    "autosummary_private_note": {
        "en": "In our private chat I summarize whatever you send anyway; auto-summary matters "
        "in groups and channels.",
        "ru": "В личном чате я и так пересказываю всё, что вы присылаете; авто-пересказ "
        "нужен в группах и каналах.",
    },
    "autosummary_privacy": {
        "en": "Heads-up: privacy mode is on, so I only see commands and replies to me here, "
        "not the links people post. To fix it, make me an admin of this group (no rights are "
        "needed). Or the bot's owner can turn privacy mode off in @BotFather (/setprivacy, "
        "Disable), then remove me from this group and add me again.",
        "ru": "Внимание: включён режим приватности, поэтому здесь я вижу только команды и "
        "ответы мне, но не ссылки участников. Чтобы это исправить, сделайте меня "
        "администратором группы (права не нужны). Или владелец бота может выключить режим "
        "приватности в @BotFather (/setprivacy, Disable), затем удалить меня из группы и "
        "добавить снова.",
    },
    # /stats
    "stats_refused": {
        "en": "Sorry, /stats is only for the bot's operators.",
        "ru": "Извините, /stats доступна только операторам бота.",
    },
    "stats": {
        "en": "Today ({day}, UTC):\n"
        "Cache hit rate: {rate} ({hits} of {lookups})\n"
        "LLM tokens: {prompt} in, {completion} out\n"
        "Summaries: {summaries}\n"
        "Users: {users}\n"
        "Errors: {errors}",
        "ru": "Сегодня ({day}, UTC):\n"
        "Попадания в кэш: {rate} ({hits} из {lookups})\n"
        "Токены LLM: {prompt} на входе, {completion} на выходе\n"
        "Пересказов: {summaries}\n"
        "Пользователей: {users}\n"
        "Ошибок: {errors}",
    },
    "stats_no_rate": {"en": "n/a", "ru": "нет данных"},
    # Command menus (setMyCommands); at most 256 characters each
    "menu_start": {"en": "Welcome and what I can do", "ru": "Приветствие и что я умею"},
    "menu_help": {"en": "How to use Skim", "ru": "Как пользоваться Skim"},
    "menu_summary": {
        "en": "Summarize a link, a text or the message you reply to",
        "ru": "Пересказать ссылку, текст или сообщение, на которое вы отвечаете",
    },
    "menu_ask": {
        "en": "Ask about the summary you reply to",
        "ru": "Задать вопрос о пересказе, на который вы отвечаете",
    },
    "menu_settings": {
        "en": "Length, style, language, auto-summary",
        "ru": "Длина, стиль, язык, авто-пересказ",
    },
    "menu_lang": {"en": "Summary language (or auto)", "ru": "Язык пересказа (или auto)"},
    "menu_length": {
        "en": "Summary length: short, medium, long",
        "ru": "Длина: short, medium, long",
    },
    "menu_style": {
        "en": "Summary style: bullets or paragraph",
        "ru": "Стиль: bullets или paragraph",
    },
    "menu_autosummary": {
        "en": "Summarize links posted here automatically: on or off",
        "ru": "Автоматически пересказывать ссылки: on или off",
    },
    "menu_cancel": {"en": "Stop the current request", "ru": "Остановить текущий запрос"},
    "menu_usage": {"en": "Your usage today", "ru": "Ваше использование за сегодня"},
    "menu_forget": {
        "en": "Delete your settings, questions and usage",
        "ru": "Удалить ваши настройки, вопросы и статистику",
    },
    "menu_stats": {
        "en": "Today's statistics (operators)",
        "ru": "Статистика за сегодня (операторы)",
    },
}
