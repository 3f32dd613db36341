"""Interface strings: private chats, summaries, questions, errors."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "welcome": {
        "en": "Hi! I'm Skim. I read so you don't have to.\n\n"
        "Send me a link, paste a long text, forward a post or send a document, and I'll answer "
        "with a short, faithful summary. Reply to a summary with a question and I'll answer "
        "from the article.",
        "ru": "Привет! Я Skim — читаю, чтобы не пришлось вам.\n\n"
        "Пришлите ссылку, длинный текст, пересланный пост или документ — отвечу коротким и "
        "точным пересказом. Ответьте на пересказ вопросом — отвечу по тексту статьи.",
    },
    "nothing_to_read": {
        "en": "Send me a link or paste a longer text (a few sentences at least) "
        "and I'll summarize it. To ask about a summary, reply to it.",
        "ru": "Пришлите ссылку или вставьте текст подлиннее (хотя бы несколько предложений) — "
        "я его перескажу. Чтобы спросить о пересказе, ответьте на него.",
    },
    "link_scheme_unreadable": {
        "en": "I read web pages only: links that start with http:// or https://, not "
        "{scheme}://. Send the page's web address, or the file itself.",
        "ru": "Я читаю только веб-страницы — ссылки, начинающиеся с http:// или https://, "
        "а не {scheme}://. Пришлите веб-адрес страницы или сам файл.",
    },
    "unknown_command": {
        "en": "I don't know {command}. /help lists what I can do.",
        "ru": "Я не знаю команды {command}. /help — что я умею.",
    },
    "unknown_command_close": {
        "en": "I don't know {command}. Did you mean {close}? /help lists what I can do.",
        "ru": "Я не знаю команды {command}. Может быть, {close}? /help — что я умею.",
    },
    "nothing_to_read_here": {
        "en": "I read links, texts, documents, voice messages and pictures of text; that's "
        "none of them. Send me a link, or /help.",
        "ru": "Я читаю ссылки, тексты, документы, голосовые и фото текста; это ни то, ни "
        "другое. Пришлите ссылку или /help.",
    },
    "internal_error": {
        "en": "Sorry, something went wrong on my side. Please try again in a moment.",
        "ru": "Извините, у меня что-то сломалось. Попробуйте ещё раз чуть позже.",
    },
    "status_fetching": {"en": "Reading {site}…", "ru": "Читаю {site}…"},
    "status_reading": {"en": "Reading…", "ru": "Читаю…"},
    "status_summarizing": {"en": "Summarizing…", "ru": "Пересказываю…"},
    "status_summarizing_part": {
        "en": "Summarizing part {part} of {parts}…",
        "ru": "Пересказываю часть {part} из {parts}…",
    },
    "status_combining": {
        "en": "Combining {parts} parts…",
        "ru": "Собираю части вместе (их {parts})…",
    },
    "status_answering": {"en": "Looking for the answer…", "ru": "Ищу ответ…"},
    "min_read": {"en": "{minutes} min read", "ru": "{minutes} мин чтения"},
    "extractive_note": {
        "en": "extractive summary (no LLM)",
        "ru": "выжимка из текста (без LLM)",
    },
    "truncated_share": {
        "en": "The document was long: this summary covers its first {share}%.",
        "ru": "Документ длинный: пересказаны только первые {share}% его текста.",
    },
    "truncated_note": {
        "en": "The document was long: only its first part was summarized.",
        "ru": "Документ длинный: пересказана только его первая часть.",
    },
    "button_shorter": {"en": "Shorter", "ru": "Короче"},
    "button_longer": {"en": "Longer", "ru": "Подробнее"},
    "button_translate": {"en": "Translate", "ru": "Перевести"},
    "button_ask": {"en": "Ask a question", "ru": "Задать вопрос"},
    "button_source": {"en": "Open source", "ru": "Источник"},
    "already_shortest": {"en": "This is already the shortest.", "ru": "Короче уже некуда."},
    "already_longest": {"en": "This is already the longest.", "ru": "Подробнее уже некуда."},
    "translate_same": {
        "en": "This summary is already in {name}.",
        "ru": "Этот пересказ уже на языке {name}.",
    },
    "choose_language": {"en": "Choose a language:", "ru": "Выберите язык:"},
    "ask_prompt": {
        "en": "Reply to the summary (or to this message) with your question.",
        "ru": "Ответьте на пересказ (или на это сообщение) своим вопросом.",
    },
    "thread_still_writing": {
        "en": "I'm still writing that summary: ask again in reply to it once it's done.",
        "ru": "Я ещё пишу этот пересказ: задайте вопрос в ответ на него, когда он будет готов.",
    },
    "thread_forgotten": {
        "en": "I no longer have that article. Send the link again and ask once more.",
        "ru": "Этой статьи у меня уже нет. Пришлите ссылку ещё раз и повторите вопрос.",
    },
    "ask_usage": {
        "en": "Reply to a summary with /ask and your question, e.g. /ask what is the main point?",
        "ru": "Ответьте на пересказ командой /ask и вопросом, например: /ask в чём главная мысль?",
    },
    "busy": {
        "en": "Still working on your last link — /cancel to stop it.",
        "ru": "Ещё работаю над прошлой ссылкой — /cancel, чтобы остановить.",
    },
    "rate_limited": {
        "en": "You're sending requests too fast. Try again in {wait}.",
        "ru": "Слишком много запросов. Попробуйте снова через {wait}.",
    },
    "chat_rate_limited": {
        "en": "This chat is sending requests too fast. Try again in {wait}.",
        "ru": "В этом чате слишком много запросов. Попробуйте снова через {wait}.",
    },
    "quota_reached": {
        "en": "You've used today's summaries ({limit} a day). Try again in {wait}.",
        "ru": "Дневной лимит пересказов ({limit}) исчерпан. Попробуйте снова через {wait}.",
    },
    "cancelled": {"en": "Stopped.", "ru": "Остановлено."},
    "summary_title": {"en": "Summary", "ru": "Пересказ"},
    "translate_needs_llm": {
        "en": "Translating needs a language model, and this bot runs without one.",
        "ru": "Для перевода нужна языковая модель, а этот бот работает без неё.",
    },
    "language_needs_llm": {
        "en": "This bot runs without a language model, so summaries quote the article in its "
        "own language; the choice is kept for when one is set up.",
        "ru": "Этот бот работает без языковой модели, поэтому пересказы цитируют статью на её "
        "языке; выбор сохранён на случай, когда модель подключат.",
    },
    "answer_passages": {
        "en": "Most relevant passages of the article (quoted: no language model answered):",
        "ru": "Самые подходящие места статьи (цитаты: языковая модель не отвечала):",
    },
    "answer_no_passages": {
        "en": "No passage of the article shares words with your question (no language model "
        "answered: I can only match words, in the article's language).",
        "ru": "Ни одно место статьи не совпадает по словам с вашим вопросом (языковая модель не "
        "ответила, а я могу искать только совпадения слов на языке статьи).",
    },
    "abandoned_at_stop": {
        "en": "I was restarted before I could finish this. Please send it again.",
        "ru": "Меня перезапустили раньше, чем я успел закончить. Пожалуйста, отправьте ещё раз.",
    },
    "nothing_to_cancel": {"en": "Nothing is running.", "ru": "Сейчас ничего не выполняется."},
    "not_allowed": {
        "en": "Sorry, this bot is private. Ask its owner for access.",
        "ru": "Извините, это закрытый бот. Попросите доступ у его владельца.",
    },
    "more_links": {
        "en": "Your message has {total} links; I summarized the first {limit}.",
        "ru": "Ссылок в сообщении: {total}; я пересказал первые (их {limit}).",
    },
    "thanks_reply": {
        "en": "Glad it helped! Send me another link any time, or reply with a question.",
        "ru": "Рад помочь! Присылайте ещё ссылки или задайте вопрос ответом на пересказ.",
    },
    "document_unsupported": {
        "en": (
            "I can read PDF, Word (.docx), TXT, Markdown and HTML files. "
            "Send one of those, or a link."
        ),
        "ru": (
            "Я читаю файлы PDF, Word (.docx), TXT, Markdown и HTML. Пришлите такой файл или ссылку."
        ),
    },
    "document_too_big": {
        "en": "That file is too big for me: Telegram lets bots download files up to 20 MB. "
        "Send a link to it instead, or a smaller file.",
        "ru": "Файл слишком большой: Telegram даёт ботам скачивать файлы до 20 МБ. "
        "Пришлите ссылку на него или файл поменьше.",
    },
    "document_download_failed": {
        "en": "I couldn't download that file from Telegram. Please send it again.",
        "ru": "Не удалось скачать файл из Telegram. Пришлите его ещё раз.",
    },
    "seconds": {"en": "{n} s", "ru": "{n} с"},
    "minutes": {"en": "{n} min", "ru": "{n} мин"},
    "hours": {"en": "{n} h", "ru": "{n} ч"},
    "help": {
        "en": "How to use Skim:\n"
        "• send a link — I fetch the page and summarize the article;\n"
        "• paste a long text or forward a post — I summarize it;\n"
        "• send a PDF, Word, TXT, Markdown or HTML file (up to 20 MB) — I read it;\n"
        "• reply to a summary with a question — I answer from the article;\n"
        "• in any chat, type @ and my name with a link for an inline summary.\n\n"
        "/summary (/tldr, /s) — summarize a link or text, or the message you reply to\n"
        "/ask (/q) — ask about the summary you reply to\n"
        "/settings — length, style, language, auto-summary\n"
        "/length, /style, /lang — the same as commands\n"
        "/autosummary on|off — summarize every link in a group or channel (admins)\n"
        "/cancel — stop the current request\n"
        "/usage — your usage today\n"
        "/forget — delete your settings, questions and usage",
        "ru": "Как пользоваться Skim:\n"
        "• пришлите ссылку — я прочитаю страницу и перескажу статью;\n"
        "• вставьте длинный текст или перешлите пост — перескажу его;\n"
        "• пришлите файл PDF, Word, TXT, Markdown или HTML (до 20 МБ) — прочитаю;\n"
        "• ответьте на пересказ вопросом — отвечу по статье;\n"
        "• в любом чате наберите @ и моё имя со ссылкой — пересказ прямо в чате.\n\n"
        "/summary (/tldr, /s) — пересказать ссылку, текст или сообщение, на которое вы отвечаете\n"
        "/ask (/q) — вопрос о пересказе, на который вы отвечаете\n"
        "/settings — длина, стиль, язык, авто-пересказ\n"
        "/length, /style, /lang — то же командами\n"
        "/autosummary on|off — пересказывать все ссылки в группе или канале (админы)\n"
        "/cancel — остановить текущий запрос\n"
        "/usage — ваше использование за сегодня\n"
        "/forget — удалить ваши настройки, вопросы и статистику",
    },
    "summary_usage": {
        "en": "Send /summary with a link or a text, or reply /summary to a message with a link.",
        "ru": "Отправьте /summary со ссылкой или текстом, или ответьте /summary на сообщение "
        "со ссылкой.",
    },
    "forgotten": {
        "en": "Done: your settings, questions and usage figures are deleted. Today's count "
        "of summaries stays, so the daily limit still holds.",
        "ru": "Готово: ваши настройки, вопросы и статистика удалены. Сегодняшний счёт "
        "пересказов остаётся, так что дневной лимит действует.",
    },
    "usage": {
        "en": "Today the language model worked for you {requests} times (it read {prompt} "
        "tokens and wrote {completion}).",
        "ru": "Сегодня языковая модель работала для вас раз: {requests} (прочитала токенов: "
        "{prompt}, написала: {completion}).",
    },
    "usage_limit": {
        "en": "Daily limit: {limit} summaries; {used} used today (summaries already made for "
        "someone are free). It resets at midnight UTC.",
        "ru": "Дневной лимит пересказов: {limit}; сегодня использовано {used} (уже готовые "
        "пересказы бесплатны). Лимит обновится в полночь UTC.",
    },
    "usage_no_limit": {
        "en": "No daily limit applies to you.",
        "ru": "Дневной лимит на вас не распространяется.",
    },
}
