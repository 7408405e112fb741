"""Who may hear which recording or voicemail: supervisors (and QA) every one, agents their own."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.urls import reverse

from ccapp.models import FileState, Recording, Voicemail

LISTEN_ALL = "ccapp.listen_recordings"
TAKES_CALLS = "ccapp.handle_calls"


def audible_recordings(user) -> QuerySet[Recording]:
    """Recordings the user may hear: all with `listen_recordings`, else those of the agent's own calls."""
    recordings = Recording.objects.select_related("call")
    if not user.is_authenticated:
        return recordings.none()
    if user.has_perm(LISTEN_ALL):
        return recordings
    if user.has_perm(TAKES_CALLS):
        return recordings.filter(call__agent__user=user)
    return recordings.none()


def audible_voicemails(user) -> QuerySet[Voicemail]:
    """Voicemails the user may hear: all with `listen_recordings`, else those left in the agent's queues."""
    voicemails = Voicemail.objects.all()
    if not user.is_authenticated:
        return voicemails.none()
    if user.has_perm(LISTEN_ALL):
        return voicemails
    if user.has_perm(TAKES_CALLS):
        mine = Q(queue__memberships__agent__user=user) | Q(queue__mailbox_owners=user)
        return voicemails.filter(pk__in=Voicemail.objects.filter(mine).values("pk"))
    return voicemails.none()


def audio_url(row: Recording | Voicemail) -> str | None:
    """Where the browser's player fetches the audio (session-checked, no secret), once it is copied here."""
    if row.file_state != FileState.STORED:
        return None
    name = "recording-audio" if isinstance(row, Recording) else "voicemail-audio"
    return reverse(name, args=[row.pk])
