"""Channels consumers: the agent desktop and the supervisor's wallboard, one websocket each.

A consumer authenticates by session, joins only the groups its user may see, sends a snapshot, then
relays pushed events (`realtime_event`). Every inbound message is checked against its schema; a
bad or forged one gets an error frame naming what was wrong and changes nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs

from channels.db import DatabaseSyncToAsync
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.utils import await_many_dispatch
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation.trans_real import parse_accept_lang_header
from redis.exceptions import RedisError

from ccapp import clock, realtime, selectors_live
from ccapp.desk import actions, assist, work
from ccapp.desk.build import build_id
from ccapp.desk.failures import failure_message
from ccapp.desk.schema import DESK_ACTIONS, STASIS_COMMANDS, WALLBOARD_ACTIONS, Message, parse
from ccapp.errors import DomainError

log = logging.getLogger(__name__)


def database_sync_to_async(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Run database work in the thread pool, not on Django's one shared thread.

    Channels' default serializes every socket's queries on one thread: with hundreds of desks,
    one slow screen pop would delay all the others. Each consumer still awaits its own calls in
    order, so frames keep their order per socket.
    """
    return DatabaseSyncToAsync(fn, thread_sensitive=False)


RETRY_SECONDS = 0.05
FORBIDDEN = 4403  # close code: authenticated socket refused (the page shows why)
STALE = 4410  # close code: the page comes from an older deploy (it reloads)
POP_EVENTS = frozenset({"call_offered", "call_answered", "call_joined"})
# Longest sleep while waiting for midnight: a wall clock set forward or back is noticed within this.
DAY_CHECK_SECONDS = 60.0


def language_of(scope: dict[str, Any]) -> str:
    """The language the page was served in: the language cookie, else Accept-Language, else the default."""
    cookie = (scope.get("cookies") or {}).get(settings.LANGUAGE_COOKIE_NAME, "")
    headers = dict(scope.get("headers") or [])
    accepted = [
        lang for lang, _ in parse_accept_lang_header(headers.get(b"accept-language", b"").decode("latin-1"))
    ]
    for candidate in (cookie, *accepted):
        try:
            return translation.get_supported_language_variant(candidate)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def page_build(scope: dict[str, Any]) -> str:
    """The build stamp the page sent (`?build=`); empty for clients that are not our pages."""
    query = parse_qs((scope.get("query_string") or b"").decode("latin-1"))
    return (query.get("build") or [""])[0][:64]


class LiveConsumer(AsyncJsonWebsocketConsumer):
    """Shared plumbing: groups, snapshot, event relay, request/reply with error frames."""

    actions: dict[str, dict[str, tuple[type, bool]]] = {}
    reply_group = ""  # where the stasis worker says a command of this screen failed

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        # As AsyncConsumer.__call__, except that a Redis error while waiting for events is retried:
        # channels_redis keeps the message in its backup queue, so retrying loses nothing, while
        # the default (the consumer dies, the socket closes) would drop every later screen pop.
        self.scope = scope
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        self.channel_name = await self.channel_layer.new_channel()
        self.channel_receive = self._resilient_receive
        self.base_send = send
        self.day_watch: asyncio.Task[None] | None = None
        try:
            with contextlib.suppress(StopConsumer):
                await await_many_dispatch([receive, self.channel_receive], self.dispatch)
        finally:
            if self.day_watch is not None:
                self.day_watch.cancel()

    async def _resilient_receive(self) -> dict[str, Any]:
        while True:
            try:
                return await self.channel_layer.receive(self.channel_name)
            except RedisError:
                # redis-py's read timeout can swallow a cancellation that lands at the same moment:
                # retrying then would keep a closed socket's consumer alive for ever.
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise asyncio.CancelledError from None
                log.warning("channel layer read failed; retrying", exc_info=True)
                await asyncio.sleep(RETRY_SECONDS)

    async def connect(self) -> None:
        self.joined: list[str] = []
        await self.accept()
        if page_build(self.scope) not in ("", build_id()):
            await self.refuse("stale_page", _("This screen was updated; reloading…"), STALE)
            return
        groups = await database_sync_to_async(self.allowed_groups)()
        if groups is None:
            await self.refuse("forbidden", _("You may not open this screen."), FORBIDDEN)
            return
        for group in groups:
            await self.channel_layer.group_add(group, self.channel_name)
            self.joined.append(group)
        await self.send_snapshot()
        self.day_watch = asyncio.create_task(self.watch_midnight())

    async def refuse(self, error_id: str, message: Any, code: int) -> None:
        """Say why the screen cannot be served, then close the socket with `code`."""
        with translation.override(language_of(self.scope)):
            text = str(message)
        await self.send_json({"type": "error", "error_id": error_id, "message": text})
        await self.close(code=code)

    async def disconnect(self, code: int) -> None:
        if self.day_watch is not None:
            self.day_watch.cancel()
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    def allowed_groups(self) -> list[str] | None:
        """The groups this user may join (None: the screen is refused)."""
        raise NotImplementedError

    def snapshot(self) -> dict[str, Any]:
        raise NotImplementedError

    async def send_snapshot(self, request_id: str = "") -> None:
        data = await database_sync_to_async(self.snapshot)()
        await self.send_json({"type": "snapshot", "id": request_id, "data": data})

    async def watch_midnight(self) -> None:
        """At the center's midnight, send the screen a fresh snapshot: today's figures start again.

        Through the consumer's own channel, so the snapshot takes its turn after the frames already
        waiting (the consumer handles one message at a time).
        """
        while True:
            end = clock.today().end
            while (left := (end - clock.now()).total_seconds()) > 0:
                await asyncio.sleep(min(left, DAY_CHECK_SECONDS))
            try:
                await self.channel_layer.send(self.channel_name, {"type": "day.started"})
            except RedisError:  # the screen keeps counting from the frames, stamped with the new day
                log.warning("midnight snapshot not sent", exc_info=True)

    async def day_started(self, message: dict[str, Any]) -> None:
        """The center's day changed (see watch_midnight)."""
        await self.send_snapshot()

    async def realtime_event(self, message: dict[str, Any]) -> None:
        """A pushed event: relayed as a frame, stamped with the time it is relayed and the center's day."""
        at = clock.now()
        frame = {
            "type": "event",
            "event": message["event"],
            "data": message["data"],
            "at": at.isoformat(),
            "day": clock.day_of(at).date.isoformat(),
        }
        await self.enrich(frame)
        await self.send_json(frame)

    async def enrich(self, frame: dict[str, Any]) -> None:
        """Add what the screen needs beyond the event (the desk's screen pop, a failure's message)."""
        if frame["event"] == realtime.CommandFailed.name:
            with translation.override(language_of(self.scope)):
                frame["message"] = failure_message(frame["data"]["error_id"], frame["data"]["detail"])

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not self.joined:
            return
        # Replies and error messages in the page's language (there is no LocaleMiddleware here).
        with translation.override(language_of(self.scope)):
            await self._receive(content)

    async def _receive(self, content: Any) -> None:
        request_id = str(content.get("id", ""))[:64] if isinstance(content, dict) else ""
        try:
            message = parse(content, self.actions)
            if message.action == "snapshot":
                await self.send_snapshot(message.request_id)
                return
            data = await self.handle(message)
        except DomainError as exc:
            await self.send_error(request_id, exc.error_id, str(exc.message), exc.field)
            return
        except Exception:  # a bug must not cost the agent their socket: say so and carry on
            log.exception(
                "desk action failed: %s", content.get("action") if isinstance(content, dict) else "?"
            )
            await self.send_error(request_id, "server_error", str(_("Something went wrong; try again.")))
            return
        await self.send_json({"type": "reply", "id": message.request_id, "ok": True, "data": data})

    async def send_error(
        self, request_id: str, error_id: str, message: str, field: str | None = None
    ) -> None:
        await self.send_json(
            {"type": "error", "id": request_id, "error_id": error_id, "message": message, "field": field}
        )

    async def handle(self, message: Message) -> dict[str, Any]:
        raise NotImplementedError

    async def relay(self, check: Callable[[], realtime.StasisCommand], request_id: str) -> dict[str, Any]:
        """Check a command in a thread (database), then hand it to the stasis worker."""
        command = await database_sync_to_async(check)()
        command = realtime.StasisCommand(
            command=command.command,
            call_id=command.call_id,
            agent_id=command.agent_id,
            args=command.args,
            request_id=request_id,
            reply_to=self.reply_group,
        )
        await realtime.send_stasis_command(command)
        return {"sent": command.command, "call_id": command.call_id}


class DeskConsumer(LiveConsumer):
    """One agent's desktop: their state, their calls, their screen pops, their call commands."""

    actions = DESK_ACTIONS

    async def connect(self) -> None:
        await super().connect()
        if self.joined:
            # The first suggestions of a fresh process should not be full text only.
            assist.warm_up()  # starts a thread at most: the socket does not wait

    def allowed_groups(self) -> list[str] | None:
        agent = actions.agent_of(self.scope["user"])
        if agent is None:
            return None
        self.agent_id = agent.pk
        self.reply_group = realtime.agent_group(agent.pk)
        return [self.reply_group]

    def snapshot(self) -> dict[str, Any]:
        return selectors_live.desk_snapshot(self.agent_id)

    async def enrich(self, frame: dict[str, Any]) -> None:
        await super().enrich(frame)
        if frame["event"] in POP_EVENTS:
            ringing = frame["event"] == "call_offered"
            call = await database_sync_to_async(selectors_live.desk_call)(
                frame["data"]["call_id"], ringing=ringing
            )
            frame["call"] = call

    async def handle(self, message: Message) -> dict[str, Any]:
        action, fields, agent_id, user = message.action, message.fields, self.agent_id, self.scope["user"]
        if action in STASIS_COMMANDS:
            return await self.relay(
                lambda: actions.call_command(agent_id, action, fields), message.request_id
            )
        if action == "pickup":
            return await self.relay(
                lambda: actions.pickup_command(agent_id, fields.get("call_id")), message.request_id
            )
        if action == "dial":
            return await self.relay(
                lambda: actions.dial_command(agent_id, fields["number"]), message.request_id
            )
        handlers: dict[str, Callable[[], dict[str, Any]]] = {
            "set_state": lambda: actions.set_state(agent_id, fields),
            "queue_login": lambda: actions.queue_login(agent_id, fields),
            "wrapup": lambda: actions.wrapup(agent_id, fields),
            "callback": lambda: actions.callback(agent_id, fields),
            "create_customer": lambda: actions.create_customer(agent_id, user, fields),
            "create_ticket": lambda: actions.create_ticket(agent_id, user, fields),
            "kb_search": lambda: actions.kb_search(user, fields),
            "kb_suggest": lambda: actions.kb_suggest(agent_id, user, fields),
            "timeline": lambda: actions.timeline(user, fields),
            "my_work": lambda: work.my_work(agent_id),
            "cancel_callback": lambda: work.cancel_callback(agent_id, user, fields),
            "agents": lambda: actions.agents_list(agent_id),
        }
        return await database_sync_to_async(handlers[action])()


class WallboardConsumer(LiveConsumer):
    """The supervisor's live view of every queue and agent; monitoring and floor actions."""

    actions = WALLBOARD_ACTIONS

    def allowed_groups(self) -> list[str] | None:
        user = self.scope["user"]
        if not user.is_authenticated or not user.has_perm("ccapp.view_reports"):
            return None
        self.reply_group = realtime.user_group(user.pk)
        return [realtime.WALLBOARD, self.reply_group]

    def snapshot(self) -> dict[str, Any]:
        return selectors_live.wallboard_snapshot()

    async def handle(self, message: Message) -> dict[str, Any]:
        user, fields = self.scope["user"], message.fields
        if message.action == "listen":
            return await self.relay(lambda: actions.listen_command(user, fields), message.request_id)
        if message.action == "move_call":
            return await self.relay(lambda: actions.move_command(user, fields), message.request_id)
        return await database_sync_to_async(actions.force_state)(user, fields)
