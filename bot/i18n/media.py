"""Interface strings for audio, video, YouTube, Telegram posts and pictures."""

from __future__ import annotations

STRINGS: dict[str, dict[str, str]] = {
    "err_not_media": {
        "en": "That file doesn't look like audio or video I can play.",
        "ru": "Этот файл не похож на аудио или видео, которое я могу воспроизвести.",
    },
    "err_media_empty": {
        "en": "That recording has no sound to transcribe.",
        "ru": "В этой записи нет звука, который можно расшифровать.",
    },
    "err_media_too_long": {
        "en": "That recording is {minutes} minutes long; I transcribe up to {limit} minutes.",
        "ru": "Эта запись длится {minutes} мин.; я расшифровываю до {limit} мин.",
    },
    "err_media_too_big": {
        "en": "That file is {megabytes} MB; I download media up to {limit} MB.",
        "ru": "Этот файл весит {megabytes} МБ; я скачиваю медиафайлы до {limit} МБ.",
    },
    "err_telegram_file_over_limit": {
        "en": "Telegram lets bots download files up to 20 MB, and this one is bigger. "
        "Send a shorter recording, or a link to the file.",
        "ru": "Telegram разрешает ботам скачивать файлы до 20 МБ, а этот больше. "
        "Пришлите запись покороче или ссылку на файл.",
    },
    "err_telegram_file_too_big": {
        "en": "Telegram lets bots download files up to 20 MB, and this one is {megabytes} MB. "
        "Send a shorter recording, or a link to the file.",
        "ru": "Telegram разрешает ботам скачивать файлы до 20 МБ, а этот весит {megabytes} МБ. "
        "Пришлите запись покороче или ссылку на файл.",
    },
    "err_no_transcriber": {
        "en": "I can't listen to voice messages, audio or video here: no transcription service "
        "is set up. The bot's operator can enable it by setting TRANSCRIBE_API_KEY (or "
        "OPENAI_API_KEY) and, for a local server, TRANSCRIBE_BASE_URL.",
        "ru": "Здесь я не могу слушать голосовые, аудио и видео: сервис расшифровки не "
        "настроен. Владелец бота может включить его, задав TRANSCRIBE_API_KEY (или "
        "OPENAI_API_KEY) и, для локального сервера, TRANSCRIBE_BASE_URL.",
    },
    "err_transcription_failed": {
        "en": "I couldn't transcribe that recording. Please try again later.",
        "ru": "Не удалось расшифровать эту запись. Попробуйте позже.",
    },
    "err_transcription_busy": {
        "en": "The transcription service is busy right now. Please try again in a minute.",
        "ru": "Сервис расшифровки сейчас перегружен. Попробуйте через минуту.",
    },
    "err_media_quota": {
        "en": "You've used today's {limit} minutes of transcription (or this recording would go "
        "past them). It resets at midnight UTC.",
        "ru": "Вы израсходовали сегодняшние {limit} мин. расшифровки (или эта запись их "
        "превысит). Лимит обновится в полночь UTC.",
    },
    "err_media_over_daily": {
        "en": "That recording is {minutes} min long; I transcribe up to {limit} min a day "
        "for each person. Send a shorter recording or a part of it.",
        "ru": "Эта запись длится {minutes} мин., а я расшифровываю каждому до {limit} мин. "
        "в день. Пришлите запись покороче или её часть.",
    },
    "err_youtube_transcript": {
        "en": "I couldn't get this video's transcript.",
        "ru": "Не удалось получить расшифровку этого видео.",
    },
    "err_youtube_private": {
        "en": "This video is private: I can't watch it.",
        "ru": "Это видео закрыто владельцем: я не могу его посмотреть.",
    },
    "err_youtube_age": {
        "en": "This video is age-restricted: YouTube shows it only to signed-in viewers, so I "
        "can't read it.",
        "ru": "У этого видео возрастное ограничение: YouTube показывает его только после входа в "
        "аккаунт, поэтому я не могу его прочитать.",
    },
    "err_youtube_members": {
        "en": "This video is for the channel's members only: I can't watch it.",
        "ru": "Это видео только для спонсоров канала: я не могу его посмотреть.",
    },
    "err_youtube_region": {
        "en": "This video is blocked in the country I run in, so I can't read it.",
        "ru": "Это видео заблокировано в стране, где я работаю, поэтому я не могу его прочитать.",
    },
    "err_youtube_unavailable": {
        "en": "This video is unavailable (removed, or never published).",
        "ru": "Это видео недоступно (удалено или не опубликовано).",
    },
    "err_youtube_no_captions": {
        "en": "This video has no captions, and no transcription service is set up to listen to it.",
        "ru": "У этого видео нет субтитров, а сервис расшифровки, чтобы его прослушать, не "
        "настроен.",
    },
    "err_youtube_live": {
        "en": "This is a live stream that hasn't ended; I can read it once it's over.",
        "ru": "Это прямая трансляция, которая ещё идёт; я смогу прочитать её после окончания.",
    },
    "err_telegram_post": {
        "en": "I couldn't read that Telegram post: it may be private, deleted, or have no text.",
        "ru": "Не удалось прочитать этот пост в Telegram: возможно, он закрыт, удалён или без "
        "текста.",
    },
    "err_vision_disabled": {
        "en": "To read pictures I need a vision-capable model, and this bot isn't set up with "
        "one. The bot's operator can enable it with LLM_VISION=true.",
        "ru": "Чтобы читать картинки, нужна модель с поддержкой изображений, а этот бот так "
        "не настроен. Владелец бота может включить её: LLM_VISION=true.",
    },
    "err_image_no_text": {
        "en": "I couldn't find any text to read in that picture.",
        "ru": "Не нашёл на этой картинке текста, который можно прочитать.",
    },
    "err_image_unreadable": {
        "en": "That picture isn't an image format I can read (JPEG, PNG, WebP or GIF).",
        "ru": "Эту картинку я не могу открыть (читаю JPEG, PNG, WebP и GIF).",
    },
}

STRINGS.update(
    {
        "status_downloading": {"en": "Downloading the recording…", "ru": "Скачиваю запись…"},
        "status_transcribing": {
            "en": "Transcribing {length} of audio…",
            "ru": "Расшифровываю {length} аудио…",
        },
        "status_captions": {"en": "Reading captions…", "ru": "Читаю субтитры…"},
        "status_looking": {"en": "Looking at the picture…", "ru": "Смотрю на картинку…"},
        "button_transcript": {"en": "📝 Transcript", "ru": "📝 Расшифровка"},
        "transcript_caption": {
            "en": "Transcript of {title}",
            "ru": "Расшифровка: {title}",
        },
        "transcript_gone": {
            "en": "I no longer have that transcript. Send the recording again.",
            "ru": "Этой расшифровки у меня больше нет. Пришлите запись ещё раз.",
        },
        "voice_question_heard": {"en": "🎙 “{text}”", "ru": "🎙 «{text}»"},
        "voice_note_title": {"en": "Voice message", "ru": "Голосовое сообщение"},
        "audio_title": {"en": "Audio", "ru": "Аудио"},
        "video_title": {"en": "Video", "ru": "Видео"},
        "key_moments": {"en": "Key moments", "ru": "Ключевые моменты"},
    }
)
