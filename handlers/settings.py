"""Per-chat settings: the /settings keyboard, /lang /length /style /autosummary, and /stats.

In groups only the chat's admins may change settings; in a private chat the user owns them; in a
channel only admins can post, so a command posted there is trusted.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging

from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatMemberStatus, ChatType
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.config import Settings
from bot.i18n import t
from bot.i18n.languages import language_label
from bot.llm.prompts import LANGUAGE_NAMES, LENGTHS, STYLES
from bot.store.state import Prefs, today
from handlers.addressing import Delivery, delivery_for, interface_language, is_admin, is_group
from handlers.context import Context
from handlers.keyboards import TRANSLATION_TARGETS
from handlers.replies import answer_press, plain, send_text

log = logging.getLogger(__name__)

PREFIX = "st:"  # callback data: st:FIELD:VALUE, or st:done
DONE = PREFIX + "done"
CHECK = "✓ "
# The languages Translate offers, so that the two lists never differ.
KEYBOARD_LANGUAGES = ("auto", *TRANSLATION_TARGETS)
LANGUAGES_PER_ROW = 4
# A command posted in a channel reaches every subscriber: it and our answer are deleted after this.
CHANNEL_CLEANUP_SECONDS = 5.0

ADMIN_STATUSES = frozenset({ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER})
LENGTH, STYLE, LANGUAGE, AUTO = "length", "style", "language", "auto"
CHOICES: dict[str, tuple[str, ...]] = {
    LENGTH: tuple(LENGTHS),
    STYLE: tuple(STYLES),
    LANGUAGE: ("auto", *LANGUAGE_NAMES),
    AUTO: ("on", "off"),
}
# Which setting each command changes (its usage line is the catalogue key usage_COMMAND).
COMMANDS: dict[str, str] = {
    "lang": LANGUAGE,
    "length": LENGTH,
    "style": STYLE,
    "autosummary": AUTO,
}
# New messages and channel posts; edits of old commands are not applied again.
COMMAND_UPDATES = filters.UpdateType.MESSAGE | filters.UpdateType.CHANNEL_POST


# ------------------------------------------------------------------ values


def current_values(prefs: Prefs, defaults: Settings) -> dict[str, str]:
    """What the chat's summaries use now: its saved choices over the operator's defaults."""
    return {
        LENGTH: prefs.length or defaults.summary_length,
        STYLE: prefs.style or defaults.summary_style,
        LANGUAGE: prefs.language or defaults.summary_language,
        AUTO: "on" if prefs.auto_summary else "off",
    }


def with_value(prefs: Prefs, field: str, value: str) -> Prefs:
    if field == LENGTH:
        return dataclasses.replace(prefs, length=value)
    if field == STYLE:
        return dataclasses.replace(prefs, style=value)
    if field == LANGUAGE:
        return dataclasses.replace(prefs, language=value)
    return dataclasses.replace(prefs, auto_summary=value == "on")


def shown(field: str, value: str, language: str) -> str:
    """A value as the interface names it."""
    if field == LANGUAGE:
        return t("language_auto", language) if value == "auto" else language_label(value)
    key = {LENGTH: "length_", STYLE: "style_", AUTO: "auto_"}[field] + value
    return t(key, language)


def saved_text(field: str, value: str, language: str) -> str:
    name = t(f"setting_{field}", language)
    return t("setting_saved", language, name=name, value=shown(field, value, language))


def usage_text(command: str, language: str) -> str:
    if command == "lang":
        return t("usage_lang", language, codes=", ".join(CHOICES[LANGUAGE]))
    return t(f"usage_{command}", language)


# ------------------------------------------------------------------ who may change settings


async def is_chat_admin(context: Context, chat_id: int, user_id: int) -> bool:
    """An administrator or the creator of the chat, according to getChatMember."""
    try:
        member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError as error:
        log.info("could not check admin rights in chat %s: %s", chat_id, error)
        return False
    return member.status in ADMIN_STATUSES


async def may_change_settings(update: Update, context: Context) -> bool:
    """Private chat: the user; channel post: an admin by definition; groups: admins only."""
    chat = update.effective_chat
    if chat is None:
        return False
    if chat.type == ChatType.PRIVATE or update.channel_post is not None:
        return True
    message = update.message
    if message is not None and message.sender_chat is not None:
        # An anonymous admin posts as the group itself.
        return message.sender_chat.id == chat.id
    user = update.effective_user
    return user is not None and await is_chat_admin(context, chat.id, user.id)


async def privacy_hides_messages(context: Context, chat_id: int) -> bool:
    """True when privacy mode keeps ordinary group messages from the bot (and it is no admin)."""
    try:
        me = await context.bot.get_me()
        if me.can_read_all_group_messages:
            return False
        member = await context.bot.get_chat_member(chat_id, me.id)
    except TelegramError as error:
        log.info("could not check privacy mode in chat %s: %s", chat_id, error)
        return False
    return member.status not in ADMIN_STATUSES


# ------------------------------------------------------------------ rendering


def settings_text(values: dict[str, str], language: str, *, private: bool, editable: bool) -> str:
    title = t("settings_title_private" if private else "settings_title_chat", language)
    body = t(
        "settings_body",
        language,
        length=shown(LENGTH, values[LENGTH], language),
        style=shown(STYLE, values[STYLE], language),
        lang=shown(LANGUAGE, values[LANGUAGE], language),
        auto=shown(AUTO, values[AUTO], language),
    )
    if private:  # auto-summary is for groups and channels: nothing to turn on here
        body = body.rpartition("\n")[0]
    footer = t("settings_tap" if editable else "settings_admins_can_change", language)
    return f"{title}\n{body}\n\n{footer}"


def settings_keyboard(
    values: dict[str, str], language: str, *, private: bool = False
) -> InlineKeyboardMarkup:
    """One row per setting, the current choice ticked; callback data st:FIELD:VALUE. A private
    chat has no auto-summary row: there is nothing for it to summarize unasked."""

    def button(field: str, value: str, label: str) -> InlineKeyboardButton:
        mark = CHECK if values[field] == value else ""
        return InlineKeyboardButton(mark + label, callback_data=f"{PREFIX}{field}:{value}")

    languages = [
        button(
            LANGUAGE, code, t("button_language_auto", language) if code == "auto" else code.upper()
        )
        for code in KEYBOARD_LANGUAGES
    ]
    return InlineKeyboardMarkup(
        [
            [button(LENGTH, v, t(f"button_length_{v}", language)) for v in CHOICES[LENGTH]],
            [button(STYLE, v, t(f"button_style_{v}", language)) for v in CHOICES[STYLE]],
            *(
                languages[start : start + LANGUAGES_PER_ROW]
                for start in range(0, len(languages), LANGUAGES_PER_ROW)
            ),
            *(
                []
                if private
                else [[button(AUTO, v, t(f"button_auto_{v}", language)) for v in CHOICES[AUTO]]]
            ),
            [InlineKeyboardButton(t("settings_done", language), callback_data=DONE)],
        ]
    )


async def _delete_later(context: Context, chat_id: int, message_ids: list[int]) -> None:
    await asyncio.sleep(CHANNEL_CLEANUP_SECONDS)
    try:
        await context.bot.delete_messages(chat_id, message_ids)
    except TelegramError as error:
        log.info("could not clean up in channel %s: %s", chat_id, error)


async def answer(update: Update, context: Context, delivery: Delivery, text: str) -> None:
    """Reply; in a channel, delete the command and the reply a few seconds later."""
    sent = await send_text(context, delivery, text)
    post = update.channel_post
    if post is not None:
        ids = [post.message_id] + ([sent.message_id] if sent is not None else [])
        context.application.create_task(_delete_later(context, post.chat_id, ids), update=update)


# ------------------------------------------------------------------ commands


async def settings_command(update: Update, context: Context) -> None:
    """/settings: the chat's choices, with buttons for those allowed to change them."""
    chat = update.effective_chat
    if chat is None:
        return
    deps = context.deps
    delivery = await delivery_for(update, context, None)
    values = current_values(await context.chat_prefs(update), deps.settings)
    editable = await may_change_settings(update, context)
    private = chat.type == ChatType.PRIVATE
    text = settings_text(values, delivery.language, private=private, editable=editable)
    markup = settings_keyboard(values, delivery.language, private=private) if editable else None
    await send_text(context, delivery, text, markup)
    post = update.channel_post
    if post is not None:  # subscribers see the menu until Done; the command itself goes now
        try:
            await post.delete()
        except TelegramError as error:
            log.info("could not delete a command post in channel %s: %s", post.chat_id, error)


async def change_setting(update: Update, context: Context, command: str) -> None:
    """Set one preference from `/COMMAND VALUE`; without a valid value, show it and the usage."""
    chat = update.effective_chat
    if chat is None or update.effective_message is None:
        return
    field = COMMANDS[command]
    deps = context.deps
    state = deps.skim.state
    delivery = await delivery_for(update, context, None)
    prefs = await context.chat_prefs(update)
    args = context.args or []
    value = args[0].lower() if len(args) == 1 else None
    if value is None or value not in CHOICES[field]:
        current = current_values(prefs, deps.settings)[field]
        name = t(f"setting_{field}", delivery.language)
        now = t(
            "setting_current",
            delivery.language,
            name=name,
            value=shown(field, current, delivery.language),
        )
        await answer(update, context, delivery, f"{now}\n{usage_text(command, delivery.language)}")
        return
    if not await may_change_settings(update, context):
        await answer(update, context, delivery, t("settings_admins_only", delivery.language))
        return
    if not await state.save_chat_prefs(chat.id, with_value(prefs, field, value)):
        await answer(update, context, delivery, t("setting_not_saved", delivery.language))
        return
    lines = [saved_text(field, value, delivery.language)]
    if _translation_unavailable(context, field, value):
        lines.append(t("language_needs_llm", delivery.language))
    if field == AUTO and value == "on":
        if chat.type == ChatType.PRIVATE:
            lines.append(t("autosummary_private_note", delivery.language))
        elif is_group(chat.type) and await privacy_hides_messages(context, chat.id):
            lines.append(t("autosummary_privacy", delivery.language))
    await answer(update, context, delivery, "\n\n".join(lines))


def _translation_unavailable(context: Context, field: str, value: str) -> bool:
    """A summary language chosen where no model can write in it: it is saved, for when one is
    set up, but the sentences quoted meanwhile stay in the article's language."""
    return field == LANGUAGE and value != "auto" and context.deps.llm is None


async def lang_command(update: Update, context: Context) -> None:
    """/lang CODE|auto: the language summaries are written in."""
    await change_setting(update, context, "lang")


async def length_command(update: Update, context: Context) -> None:
    """/length short|medium|long."""
    await change_setting(update, context, "length")


async def style_command(update: Update, context: Context) -> None:
    """/style bullets|paragraph."""
    await change_setting(update, context, "style")


async def autosummary_command(update: Update, context: Context) -> None:
    """/autosummary on|off: summarize links posted in this chat without being asked."""
    await change_setting(update, context, "autosummary")


async def stats_command(update: Update, context: Context) -> None:
    """/stats for operators (ADMIN_USER_IDS): today's cache, token and usage figures."""
    user = update.effective_user
    delivery = await delivery_for(update, context, None)
    if not is_admin(context, user.id if user is not None else None):
        await send_text(context, delivery, t("stats_refused", delivery.language))
        return
    day = today()
    stats = await context.state.stats(day)
    hits = stats.get("cache_hits", 0)
    lookups = hits + stats.get("cache_misses", 0)
    rate = f"{hits / lookups:.0%}" if lookups else t("stats_no_rate", delivery.language)
    text = t(
        "stats",
        delivery.language,
        day=day,
        rate=rate,
        hits=hits,
        lookups=lookups,
        prompt=stats.get("llm_prompt_tokens", 0),
        completion=stats.get("llm_completion_tokens", 0),
        summaries=stats.get("summaries", 0),
        users=stats.get("users", 0),
        errors=stats.get("errors", 0),
    )
    await send_text(context, delivery, text)


# ------------------------------------------------------------------ buttons


async def on_settings_button(update: Update, context: Context) -> None:
    """A /settings button: check the rights, save the choice, show the keyboard again."""
    query = update.callback_query
    chat = update.effective_chat
    if query is None or query.data is None or chat is None:
        return
    language = interface_language(update)
    message = query.message
    if not isinstance(message, Message):
        await answer_press(query)
        return
    field, _, value = query.data.removeprefix(PREFIX).partition(":")
    if query.data != DONE and value not in CHOICES.get(field, ()):
        await answer_press(query)
        return
    if not await may_change_settings(update, context):
        await answer_press(query, t("settings_admins_only", language), alert=True)
        return
    if query.data == DONE:
        await answer_press(query)
        await _close(message)
        return
    prefs = await _choose(context, query, message, field, value, language)
    if prefs is None:
        return
    values = current_values(prefs, context.deps.settings)
    private = chat.type == ChatType.PRIVATE
    try:
        await message.edit_text(
            plain(settings_text(values, language, private=private, editable=True)),
            reply_markup=settings_keyboard(values, language, private=private),
        )
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            log.info("could not update the settings keyboard: %s", error)


async def _choose(
    context: Context,
    query: CallbackQuery,
    message: Message,
    field: str,
    value: str,
    language: str,
) -> Prefs | None:
    """Save a pressed choice and say so; the chat's settings, or None when it was not saved."""
    state = context.deps.skim.state
    prefs = await state.chat_prefs(message.chat.id)
    if current_values(prefs, context.deps.settings)[field] == value:
        await answer_press(query, t("settings_unchanged", language))
        return prefs
    prefs = with_value(prefs, field, value)
    if not await state.save_chat_prefs(message.chat.id, prefs):
        await answer_press(query, t("setting_not_saved_short", language), alert=True)
        return None
    if _translation_unavailable(context, field, value):
        saved = f"{saved_text(field, value, language)} {t('language_needs_llm', language)}"
        await answer_press(query, saved, alert=True)
    else:
        await answer_press(query, saved_text(field, value, language))
    if field == AUTO and value == "on" and is_group(message.chat.type):
        await _warn_if_privacy_hides(context, message, language)
    return prefs


async def _warn_if_privacy_hides(context: Context, message: Message, language: str) -> None:
    """Auto-summary turned on from the keyboard: the same warning as `/autosummary on` (a
    press's toast is too short for it)."""
    if not await privacy_hides_messages(context, message.chat.id):
        return
    try:
        await context.bot.send_message(
            message.chat.id,
            plain(t("autosummary_privacy", language)),
            message_thread_id=message.message_thread_id if message.is_topic_message else None,
        )
    except TelegramError as error:
        log.info("could not warn about privacy mode: %s", error)


async def _close(message: Message) -> None:
    """Done: a channel keeps no settings message; elsewhere the keyboard goes, the text stays."""
    try:
        if message.chat.type == ChatType.CHANNEL:
            await message.delete()
        else:
            await message.edit_reply_markup(None)
    except TelegramError as error:
        log.info("could not close the settings message: %s", error)


def register(app: Application) -> None:  # type: ignore[type-arg]
    """Settings commands (also as channel posts), their buttons, and /stats."""
    app.add_handler(CommandHandler("settings", settings_command, filters=COMMAND_UPDATES))
    app.add_handler(CommandHandler("lang", lang_command, filters=COMMAND_UPDATES))
    app.add_handler(CommandHandler("length", length_command, filters=COMMAND_UPDATES))
    app.add_handler(CommandHandler("style", style_command, filters=COMMAND_UPDATES))
    app.add_handler(CommandHandler("autosummary", autosummary_command, filters=COMMAND_UPDATES))
    app.add_handler(CommandHandler("stats", stats_command, filters=filters.UpdateType.MESSAGE))
    app.add_handler(CallbackQueryHandler(on_settings_button, pattern=rf"^{PREFIX}"))
