"""Serving recordings and voicemails to the browser's audio player: role-checked, with HTTP ranges."""

from __future__ import annotations

import re
from collections.abc import Iterator

from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from ccapp.audio.access import audible_recordings, audible_voicemails
from ccapp.models import FileState, Recording, Voicemail

CHUNK = 64 * 1024
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def byte_range(header: str, size: int) -> tuple[int, int] | bool | None:
    """(first, last) byte of a single `Range: bytes=...`; None to send everything; False if unsatisfiable.

    Several ranges or a malformed header are ignored (the whole file is sent), as RFC 9110 allows.
    """
    match = RANGE.match(header.strip())
    if not match or match.group(1) == match.group(2) == "":
        return None
    first, last = match.groups()
    if first == "":  # the last N bytes
        length = int(last)
        return (max(0, size - length), size - 1) if length and size else False
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if start >= size or end < start:
        return False
    return start, end


def _read(fieldfile, start: int, length: int) -> Iterator[bytes]:
    with fieldfile.open("rb") as handle:
        handle.seek(start)
        while length > 0:
            block = handle.read(min(CHUNK, length))
            if not block:
                return
            length -= len(block)
            yield block


def stream_audio(request: HttpRequest, row: Recording | Voicemail, filename: str) -> HttpResponseBase:
    """The row's audio file, whole or the asked-for range (206), never cached by shared caches."""
    fieldfile = row.file
    size = fieldfile.storage.size(fieldfile.name)
    wanted = byte_range(request.headers.get("Range", ""), size) if "Range" in request.headers else None
    if wanted is False:
        response = HttpResponse(status=416)
        response["Content-Range"] = f"bytes */{size}"
        return response
    start, end = wanted or (0, size - 1)
    length = max(0, end - start + 1)
    body = _read(fieldfile, start, length) if request.method == "GET" else iter(())
    content_type = "audio/wav" if fieldfile.name.endswith(".wav") else "application/octet-stream"
    response = StreamingHttpResponse(body, status=206 if wanted else 200, content_type=content_type)
    if wanted:
        response["Content-Range"] = f"bytes {start}-{end}/{size}"
    response["Content-Length"] = str(length)
    response["Accept-Ranges"] = "bytes"
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


def _serve(request: HttpRequest, visible: QuerySet, model: type[Model], pk: int) -> HttpResponseBase:
    if not request.user.is_authenticated:
        return HttpResponse(_("Log in to listen to recordings."), status=401, content_type="text/plain")
    row = visible.filter(pk=pk).first()
    if row is None:
        exists = model.objects.filter(pk=pk).exists()
        text = _("You may not listen to this recording.") if exists else _("No such recording.")
        return HttpResponse(text, status=403 if exists else 404, content_type="text/plain")
    if row.file_state != FileState.STORED or not row.file:
        return HttpResponse(_("The audio has not been copied from the phone system."), status=404,
                            content_type="text/plain")  # fmt: skip
    return stream_audio(request, row, f"{model.__name__.lower()}-{row.pk}.wav")


@require_safe
def recording_audio(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A call recording, for agents who took the call and for supervisors / QA."""
    return _serve(request, audible_recordings(request.user), Recording, pk)


@require_safe
def voicemail_audio(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A voicemail, for agents of its queue, its mailbox owners and supervisors / QA."""
    return _serve(request, audible_voicemails(request.user), Voicemail, pk)
