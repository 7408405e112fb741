"""Voicemail: greeting, beep, record (max length, silence, '#'), a Voicemail row; call recordings."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from ccapp import services
from ccapp.ari.errors import AriError
from ccapp.models import CallOutcome
from ccapp.stasis import db
from ccapp.stasis.session import CallSession, QueueInfo

log = logging.getLogger(__name__)

GREETING = "您好，请在提示音后留言，按井号结束。Please leave a message after the tone, then press hash."
MAX_MESSAGE_SECONDS = 120
MAX_SILENCE_SECONDS = 5


class VoicemailMixin:
    async def start_voicemail(self, session: CallSession, queue: QueueInfo | None) -> None:
        """Greeting first; the recording starts when it has played."""
        session.phase = "voicemail"
        session.queue = queue or session.queue
        if session.outcome != CallOutcome.OVERFLOW:
            session.outcome = CallOutcome.VOICEMAIL
        await self.event(session, "voicemail_started", mailbox=queue.code if queue else "")
        await self.say(session, GREETING, then="voicemail_record")

    async def record_voicemail(self, session: CallSession) -> None:
        name = f"vm-{session.call_id}-{uuid.uuid4().hex[:8]}"
        self.recordings[name] = session
        try:
            await self.ari.record(
                session.channel_id,
                name=name,
                format="wav",
                max_duration_seconds=MAX_MESSAGE_SECONDS,
                max_silence_seconds=MAX_SILENCE_SECONDS,
                beep=True,
                terminate_on="#",
                if_exists="fail",
            )
        except AriError as exc:
            self.recordings.pop(name, None)
            await self.event(session, "voicemail_failed", error=str(exc))
            await self.quietly(self.ari.hangup(session.channel_id))

    async def recording_finished(self, recording: Any) -> None:
        """A voicemail or a call recording ended (also when the caller hung up mid-message)."""
        session = self.recordings.pop(recording.name, None)
        duration = float(recording.duration or 0)
        if recording.name.startswith("vm-"):
            if session is None:
                return
            queue_id = session.queue.id if session.queue else None
            await db.run(
                services.save_voicemail,
                call_id=session.call_id,
                queue_id=queue_id,
                recording_name=recording.name,
                duration_seconds=duration,
            )
            session.outcome = CallOutcome.VOICEMAIL
            async with session.lock:
                if not session.ended:
                    session.phase = "leaving"
                    await self.play(session, ["sound:vm-goodbye"], then="hangup")
            return
        # Also for a recording started before a worker restart: the Recording row knows its call.
        state = "failed" if recording.state == "failed" else "done"
        await db.run(services.finish_recording, name=recording.name, duration_seconds=duration, state=state)
