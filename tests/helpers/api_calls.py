"""Bot API calls per request, from the Bot API fake's log: what each summary cost in calls.

Telegram's limits count messages and edits, so the calls a summary costs cap how many summaries
a second a bot can deliver. `tally` counts a slice of the log by kind; `per_summary` splits a
whole log into one tally per summary message (the tests of `tests/test_bot_api_calls.py` and
the load bench use it).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from tests.fakes.bot_api import ApiCall


class Kind(StrEnum):
    """What a Bot API call was for."""

    SUMMARY = "summary"  # the final summary message (it carries the summary keyboard)
    MESSAGE = "message"  # any other message: a status, an answer, a refusal, a pointer
    EDIT = "edit"  # editMessageText and editMessageReplyMarkup
    DELETE = "delete"
    CHAT_ACTION = "chat_action"
    CALLBACK_ANSWER = "callback_answer"
    OTHER = "other"  # getFile, getChatMember, ...
    HOUSEKEEPING = "housekeeping"  # polling and start-up: no request's cost


# Calls the bot makes whatever its users do.
HOUSEKEEPING = frozenset(
    {"getupdates", "getme", "setmycommands", "deletewebhook", "setwebhook", "getwebhookinfo"}
)
_KINDS = {
    "editmessagetext": Kind.EDIT,
    "editmessagereplymarkup": Kind.EDIT,
    "deletemessage": Kind.DELETE,
    "deletemessages": Kind.DELETE,
    "sendchataction": Kind.CHAT_ACTION,
    "answercallbackquery": Kind.CALLBACK_ANSWER,
}


def is_summary_message(call: ApiCall) -> bool:
    """A sendMessage carrying the summary keyboard (in channels only its "Open source" link)."""
    markup = call.params.get("reply_markup") or {}
    buttons = [b for row in markup.get("inline_keyboard", []) for b in row]
    return call.method.lower() == "sendmessage" and any(
        b.get("callback_data") == "sk:short" or "url" in b for b in buttons
    )


def kind(call: ApiCall) -> Kind:
    """What `call` was for."""
    method = call.method.lower()
    if method in HOUSEKEEPING:
        return Kind.HOUSEKEEPING
    if method == "sendmessage":
        return Kind.SUMMARY if is_summary_message(call) else Kind.MESSAGE
    return _KINDS.get(method, Kind.OTHER)


@dataclass(repr=False)
class Tally:
    """The calls of one request (or of a slice of the log), housekeeping left out."""

    calls: list[ApiCall] = field(default_factory=list)

    def add(self, call: ApiCall) -> None:
        if kind(call) is not Kind.HOUSEKEEPING:
            self.calls.append(call)

    def count(self, *kinds: Kind) -> int:
        return sum(1 for call in self.calls if kind(call) in kinds)

    @property
    def total(self) -> int:
        return len(self.calls)

    @property
    def edits(self) -> int:
        return self.count(Kind.EDIT)

    @property
    def besides_edits(self) -> int:
        return self.total - self.edits

    def edit_gaps(self) -> list[float]:
        """Seconds between consecutive editMessageText calls (each chat's edits, in order)."""
        edits = [c for c in self.calls if c.method.lower() == "editmessagetext"]
        by_chat: dict[object, list[float]] = {}
        for call in edits:
            by_chat.setdefault(call.params.get("chat_id"), []).append(call.at)
        return [b - a for times in by_chat.values() for a, b in itertools.pairwise(times)]

    def __repr__(self) -> str:  # the calls themselves would flood an assertion message
        return f"Tally({self.describe()})"

    def describe(self) -> str:
        """`total` and the count of each kind, for reports and assertion messages."""
        kinds = ", ".join(f"{k}={self.count(k)}" for k in Kind if self.count(k))
        return f"{self.total} calls ({kinds or 'none'})"


def tally(calls: Iterable[ApiCall]) -> Tally:
    """Every call of `calls` but housekeeping, in one tally."""
    result = Tally()
    for call in calls:
        result.add(call)
    return result


def per_summary(calls: Iterable[ApiCall]) -> list[Tally]:
    """One tally per summary message in `calls`, in the order the summaries were sent.

    A summary's calls are those made in its chat since that chat's previous summary, plus the
    edits and deletions of messages sent among them (a status deleted after the summary still
    belongs to it). Calls of a chat after its last summary, edits of a summary message
    (re-renders) and calls naming no chat (callback answers) belong to no summary. Meant for
    logs where each chat has one request at a time, as Skim allows per user: a private chat
    always, a group when its requests do not overlap.
    """
    done: list[Tally] = []
    pending: dict[object, Tally] = {}
    owner: dict[tuple[object, object], Tally] = {}
    for call in calls:
        if kind(call) is Kind.HOUSEKEEPING or "chat_id" not in call.params:
            continue
        chat = call.params["chat_id"]
        target = owner.get((chat, call.params.get("message_id")))
        if target is None:
            target = pending.setdefault(chat, Tally())
        target.add(call)
        sent = (chat, call.result.get("message_id")) if isinstance(call.result, dict) else None
        if kind(call) is Kind.SUMMARY:
            done.append(pending.pop(chat))
            if sent is not None:
                owner[sent] = Tally()  # re-renders edit it: requests of their own, not counted
        elif sent is not None and call.method.lower() == "sendmessage":
            owner[sent] = target  # a status: its edits and deletion are this request's
    return done


def assert_paced(times: Sequence[float], interval: float) -> None:
    """Calls that reached the fake at `times` kept to one per `interval`.

    Between the edit clock's slot and the fake each call books its place in Telegram's limits in
    Redis (bot/flood.py) and crosses loopback HTTP, on a machine the whole suite shares: one
    edit can arrive late and the next on time (gaps of 2.65 s against 3 s seen under CI's load).
    A broken pace is off by whole intervals: two requests pacing apart put edits a moment
    apart, and a pace ignored fits twice the edits in the same time. So no two calls closer
    than half an interval, and on average one per interval, give or take half of one.
    """
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert all(gap >= interval / 2 for gap in gaps), gaps
    assert times[-1] - times[0] >= (len(times) - 1.5) * interval, gaps
