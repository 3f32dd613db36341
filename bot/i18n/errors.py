"""Interface strings: what went wrong, for every expected failure."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "err_generic": {
        "en": "Something went wrong while reading that.",
        "ru": "Что-то пошло не так при чтении.",
    },
    "err_fetch": {"en": "I couldn't fetch that page.", "ru": "Не удалось загрузить страницу."},
    "err_extraction": {
        "en": "I couldn't find any readable text there.",
        "ru": "Не нашёл там текста, который можно прочитать.",
    },
    "err_invalid_link": {
        "en": "That doesn't look like a valid link.",
        "ru": "Это не похоже на правильную ссылку.",
    },
    "err_scheme": {
        "en": "Only http and https links can be read.",
        "ru": "Я читаю только ссылки http и https.",
    },
    "err_userinfo": {
        "en": "Links with a user name or password are not fetched.",
        "ru": "Ссылки с именем пользователя или паролем я не открываю.",
    },
    "err_no_host": {"en": "That link has no host name.", "ru": "В ссылке нет имени сайта."},
    "err_port": {
        "en": "Links to port {port} are not fetched.",
        "ru": "Ссылки на порт {port} я не открываю.",
    },
    "err_dns": {
        "en": "The name {host} does not resolve.",
        "ru": "Сайт {host} не найден: такого имени нет.",
    },
    "err_private": {
        "en": "That link points to a private or local address, which I don't fetch.",
        "ru": "Ссылка ведёт на частный или локальный адрес — такие я не открываю.",
    },
    "err_tls": {
        "en": "I couldn't verify {host}'s security certificate, so I didn't read it.",
        "ru": "Не удалось проверить сертификат безопасности {host}, поэтому я не стал читать.",
    },
    "err_timeout": {
        "en": "{host} took too long to answer.",
        "ru": "{host} слишком долго не отвечает.",
    },
    "err_deadline": {
        "en": "{host} took too long to answer (over {seconds} s).",
        "ru": "{host} слишком долго не отвечает (дольше {seconds} с).",
    },
    "err_connection_failed": {
        "en": "I couldn't talk to {host}: the connection failed.",
        "ru": "Не удалось связаться с {host}: соединение не установилось.",
    },
    "err_refused": {
        "en": "{host} refused the connection.",
        "ru": "{host} отклонил соединение.",
    },
    "err_redirect_no_location": {
        "en": "{host} sent a redirect without a destination.",
        "ru": "{host} прислал перенаправление без адреса.",
    },
    "err_too_many_redirects": {
        "en": "That link redirects too many times (more than {limit}).",
        "ru": "Ссылка перенаправляет слишком много раз (больше {limit}).",
    },
    "err_http_refused": {
        "en": "{host} refused us (HTTP {status}); it may be paywalled or block bots. "
        "Paste the text instead.",
        "ru": "{host} не пустил меня (HTTP {status}): возможно, платный доступ или защита от "
        "ботов. Вставьте текст вместо ссылки.",
    },
    "err_http_rate_after": {
        "en": "{host} is rate-limiting us (HTTP 429) and asks to wait. Try again in {minutes} min.",
        "ru": "{host} ограничивает частоту запросов (HTTP 429). Попробуйте через {minutes} мин.",
    },
    "err_http_legal": {
        "en": "{host} won't show that page where I run, for legal reasons (HTTP 451). "
        "Paste the text instead.",
        "ru": "{host} не показывает эту страницу там, где я работаю, по юридическим причинам "
        "(HTTP 451). Пришлите текст.",
    },
    "err_http_empty": {
        "en": "{host} answered with an empty page (HTTP {status}): there is nothing to read.",
        "ru": "{host} ответил пустой страницей (HTTP {status}): читать нечего.",
    },
    "err_http_missing": {
        "en": "That page doesn't exist on {host} (HTTP {status}).",
        "ru": "Такой страницы на {host} нет (HTTP {status}).",
    },
    "err_http_rate": {
        "en": "{host} is rate-limiting us (HTTP 429). Try again in a few minutes.",
        "ru": "{host} ограничивает частоту запросов (HTTP 429). Попробуйте через несколько минут.",
    },
    "err_http_server": {
        "en": "{host} is having trouble (HTTP {status}). Try again later.",
        "ru": "У {host} неполадки (HTTP {status}). Попробуйте позже.",
    },
    "err_http_other": {
        "en": "{host} answered HTTP {status}, so there is nothing to read.",
        "ru": "{host} ответил HTTP {status} — читать нечего.",
    },
    "err_encoding": {
        "en": "The page uses a content encoding I can't read ({name}).",
        "ru": "Страница сжата способом, который я не читаю ({name}).",
    },
    "err_body_corrupt": {
        "en": "The page's compressed body is corrupt.",
        "ru": "Сжатое содержимое страницы повреждено.",
    },
    "err_file_type": {
        "en": "That link is a file I can't read ({type}).",
        "ru": "По ссылке файл, который я не читаю ({type}).",
    },
    "err_page_too_complex": {
        "en": "That page is too big and complex for me to read (far more markup than any article).",
        "ru": "Эта страница слишком большая и сложная для меня "
        "(разметки намного больше, чем в любой статье).",
    },
    "err_binary": {
        "en": "That's a binary file (a program, an archive or media), not text I can read.",
        "ru": "Это двоичный файл (программа, архив или медиа), а не текст, его я не читаю.",
    },
    "err_too_large": {
        "en": "That page is too large to read (over {mb} MB).",
        "ru": "Страница слишком большая (больше {mb} МБ).",
    },
    "err_stopped_sending": {
        "en": "The site stopped sending the page.",
        "ru": "Сайт перестал присылать страницу.",
    },
    "err_broken": {
        "en": "The connection broke while reading the page.",
        "ru": "Соединение оборвалось во время чтения страницы.",
    },
    "err_needs_javascript": {
        "en": "That page shows its text only after running JavaScript in a browser, which I "
        "don't do. Open it, then send me the text or the address it ends up on.",
        "ru": "Эта страница показывает текст только после запуска JavaScript в браузере, а я "
        "его не запускаю. Откройте её и пришлите мне текст или адрес, на который она ведёт.",
    },
    "err_login_wall": {
        "en": "That page asks to sign in first: all I can see is its login form.",
        "ru": "Эта страница сначала просит войти в аккаунт: я вижу только форму входа.",
    },
    "err_no_article": {
        "en": "I couldn't find an article on that page.",
        "ru": "Не нашёл на этой странице статьи.",
    },
    "err_no_text_page": {
        "en": "I couldn't find any readable text in that page.",
        "ru": "Не нашёл на этой странице текста.",
    },
    "err_no_text_text": {
        "en": "I couldn't find any readable text in that text.",
        "ru": "В этом тексте нечего читать.",
    },
    "err_pdf_password": {
        "en": "That PDF is password-protected.",
        "ru": "Этот PDF защищён паролем.",
    },
    "err_docx_damaged": {
        "en": "That Word document is damaged and can't be read.",
        "ru": "Этот документ Word повреждён, его не прочитать.",
    },
    "err_docx_too_big": {
        "en": "That Word document unpacks to more than {mb} MB, more than I read.",
        "ru": "Этот документ Word распаковывается в больше чем {mb} МБ, столько я не читаю.",
    },
    "err_docx_locked": {
        "en": "That Word document is password-protected.",
        "ru": "Этот документ Word защищён паролем.",
    },
    "err_doc_old": {
        "en": (
            "That's an old Word file (.doc), which I can't read. "
            "Save it as .docx or PDF and send it again."
        ),
        "ru": (
            "Это старый файл Word (.doc), его я не читаю. "
            "Сохраните его как .docx или PDF и пришлите снова."
        ),
    },
    "err_no_text_docx": {
        "en": "That Word document has no text to read.",
        "ru": "В этом документе Word нет текста.",
    },
    "err_pptx_damaged": {
        "en": "That PowerPoint presentation is damaged and can't be read.",
        "ru": "Эта презентация PowerPoint повреждена, её не прочитать.",
    },
    "err_pptx_too_big": {
        "en": "That presentation unpacks to more than {mb} MB, more than I read.",
        "ru": "Эта презентация распаковывается в больше чем {mb} МБ, столько я не читаю.",
    },
    "err_pptx_locked": {
        "en": "That PowerPoint presentation is password-protected.",
        "ru": "Эта презентация PowerPoint защищена паролем.",
    },
    "err_ppt_old": {
        "en": (
            "That's an old PowerPoint file (.ppt), which I can't read. "
            "Save it as .pptx or PDF and send it again."
        ),
        "ru": (
            "Это старый файл PowerPoint (.ppt), его я не читаю. "
            "Сохраните его как .pptx или PDF и пришлите снова."
        ),
    },
    "err_no_text_pptx": {
        "en": "That presentation has no text to read (only pictures?).",
        "ru": "В этой презентации нет текста (одни картинки?).",
    },
    "err_epub_damaged": {
        "en": "That e-book (EPUB) is damaged and can't be read.",
        "ru": "Эта электронная книга (EPUB) повреждена, её не прочитать.",
    },
    "err_epub_too_big": {
        "en": "That e-book unpacks to more than {mb} MB, more than I read.",
        "ru": "Эта книга распаковывается в больше чем {mb} МБ, столько я не читаю.",
    },
    "err_epub_locked": {
        "en": "That e-book is copy-protected (DRM), so I can't read it.",
        "ru": "Эта книга защищена от копирования (DRM), её не прочитать.",
    },
    "err_no_text_epub": {
        "en": "That e-book has no text to read.",
        "ru": "В этой книге нет текста.",
    },
    "err_no_text_rtf": {
        "en": "That RTF document has no text to read.",
        "ru": "В этом документе RTF нет текста.",
    },
    "err_rtf_damaged": {
        "en": "That RTF document is damaged and can't be read.",
        "ru": "Этот документ RTF повреждён, его не прочитать.",
    },
    "err_pdf_garbled": {
        "en": "This PDF's text can't be decoded: its fonts hide the letters (it reads as "
        "gibberish). Copy the text from a PDF viewer and send it to me instead.",
        "ru": "Текст этого PDF не расшифровать: его шрифты прячут буквы (получается "
        "бессмыслица). Скопируйте текст в программе просмотра PDF и пришлите мне.",
    },
    "err_pdf_damaged": {
        "en": "That PDF is damaged and can't be read.",
        "ru": "Этот PDF повреждён, его не прочитать.",
    },
    "err_pdf_scanned": {
        "en": "This PDF has no text layer (it looks scanned), so I can't read it.",
        "ru": "В этом PDF нет текстового слоя (похоже, это скан), поэтому я не могу его прочитать.",
    },
    "err_unsupported_type": {
        "en": "I can't read files of this type ({type}).",
        "ru": "Файлы такого типа я не читаю ({type}).",
    },
    "err_empty_file": {"en": "{name} is empty.", "ru": "Файл {name} пустой."},
    "err_source_unknown": {
        "en": "{name} is neither a file nor an http(s) link.",
        "ru": "{name} — не файл и не ссылка http(s).",
    },
    "err_source_directory": {
        "en": "{name} is a folder: name one file in it.",
        "ru": "{name} — это папка: укажите один файл из неё.",
    },
    "err_source_empty_directory": {
        "en": "{name} is a folder with no files to read in it.",
        "ru": "В папке {name} нет файлов, которые можно прочитать.",
    },
    "err_source_not_file": {
        "en": "{name} is not a regular file.",
        "ru": "{name} — не обычный файл.",
    },
    "err_packed_damaged": {
        "en": "{name} is gzip-compressed but damaged: it can't be unpacked.",
        "ru": "{name} сжат gzip, но повреждён: его не распаковать.",
    },
    "err_packed_too_large": {
        "en": "{name} unpacks to more than {mb} MB, more than I read from one file.",
        "ru": "{name} распаковывается больше чем в {mb} МБ, а я читаю файлы до этого размера.",
    },
    "err_source_unreadable": {
        "en": "Can't read {name}: {reason}.",
        "ru": "Не удалось прочитать {name}: {reason}.",
    },
    "err_unexpected": {
        "en": "I couldn't read that: an unexpected error ({kind}).",
        "ru": "Не удалось прочитать: непредвиденная ошибка ({kind}).",
    },
    "err_no_text_to_read": {"en": "There is no text to read.", "ru": "Здесь нет текста."},
    "err_ask_question": {
        "en": "Ask a question about the document.",
        "ru": "Задайте вопрос о документе.",
    },
    "err_llm_unavailable": {
        "en": "The summarizer is unavailable right now. Please try again later.",
        "ru": "Пересказ сейчас недоступен. Попробуйте позже.",
    },
    "err_llm_unreachable": {
        "en": "The model can't be reached right now. Please try again later.",
        "ru": "Модель сейчас недоступна. Попробуйте позже.",
    },
    "err_llm_key": {
        "en": "The bot's LLM key was refused: the operator has been told.",
        "ru": "Ключ LLM бота отклонён — владелец бота уже знает.",
    },
    "err_llm_account": {
        "en": "The bot's LLM account has run out of credit: the operator has been told.",
        "ru": "У бота закончился баланс LLM — владелец бота уже знает.",
    },
    "err_llm_busy": {
        "en": "The model is busy, try again in {seconds} s.",
        "ru": "Модель перегружена, попробуйте через {seconds} с.",
    },
    "err_llm_busy_minute": {
        "en": "The model is busy, try again in a minute.",
        "ru": "Модель перегружена, попробуйте через минуту.",
    },
    "err_llm_timeout": {
        "en": "The model took too long to answer. Please try again later.",
        "ru": "Модель слишком долго отвечала. Попробуйте позже.",
    },
    "err_llm_cut": {
        "en": "The model's answer was cut off. Please try again.",
        "ru": "Ответ модели оборвался. Попробуйте ещё раз.",
    },
    "err_llm_empty": {
        "en": "The model returned an empty answer. Please try again.",
        "ru": "Модель вернула пустой ответ. Попробуйте ещё раз.",
    },
    "err_llm_refusal": {
        "en": "The model declined to work on this text.",
        "ru": "Модель отказалась работать с этим текстом.",
    },
    "err_llm_config": {
        "en": "The bot's language model is misconfigured: the operator has been told.",
        "ru": "Языковая модель бота настроена неверно — владелец бота уже знает.",
    },
    "err_still_working": {
        "en": "That is still being worked on for someone else. Please try again in a minute.",
        "ru": "Над этим ещё работают для другого пользователя. Попробуйте через минуту.",
    },
}
