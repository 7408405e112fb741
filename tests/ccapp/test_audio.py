"""Recordings and voicemails served to the browser's player: who may hear what, and byte ranges."""

from __future__ import annotations

import io
import wave

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from ccapp import services
from ccapp.models import FileState, Recording, Voicemail
from ccapp.roles import AGENT, SUPERVISOR, ensure_roles
from tests.factories import PASSWORD, make_user
from tests.services.factories import make_agent, make_queue

pytestmark = pytest.mark.django_db


def wav(seconds: float) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(8000)
        out.writeframes(bytes(range(256)) * int(seconds * 8000 * 2 / 256))
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def agent_in_role(queue=None):
    """An agent whose user is in the agent role group."""
    agent = make_agent(queue)
    ensure_roles()
    agent.user.groups.add(Group.objects.get(name=AGENT))
    return agent


def client_of(user) -> Client:
    client = Client()
    if user is not None:
        user.set_password(PASSWORD)
        user.is_staff = True
        user.save()
        assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.fixture
def recorded():
    """A call answered by an agent, recorded, with its audio copied here."""
    queue = make_queue()
    agent = agent_in_role(queue)
    call = services.start_call(channel_id="c1", caller_raw="13800138000", dnis="1")
    services.enqueue_call(call_id=call.pk, queue_id=queue.pk)
    services.answer_call(call_id=call.pk, agent_id=agent.pk)
    recording = services.save_recording(call_id=call.pk, name="call-1-abc", legs=["c1", "a1"])
    data = wav(2)
    services.store_audio(kind="recording", pk=recording.pk, data=data, duration_seconds=2.0)
    return agent, Recording.objects.get(pk=recording.pk), data


def test_it_stores_the_copy_with_its_size_and_duration_once(recorded) -> None:
    _, recording, data = recorded
    assert (recording.file_state, recording.size_bytes, recording.duration_seconds) == (
        FileState.STORED,
        len(data),
        2.0,
    )
    assert recording.file.name.startswith("recordings/") and recording.file.read() == data
    services.store_audio(kind="recording", pk=recording.pk, data=b"other", duration_seconds=1)
    recording.refresh_from_db()
    assert recording.size_bytes == len(data)
    assert list(recording.call.events.values_list("kind", flat=True)).count("recording_stored") == 1


def test_it_lets_the_agent_of_the_call_and_supervisors_listen_and_nobody_else(recorded) -> None:
    agent, recording, data = recorded
    url = f"/audio/recordings/{recording.pk}/"
    other = agent_in_role()
    expected = {
        "own agent": (agent.user, 200),
        "supervisor": (make_user("boss", SUPERVISOR), 200),
        "another agent": (other.user, 403),
        "no role": (make_user("visitor"), 403),
        "anonymous": (None, 401),
    }
    for who, (user, status) in expected.items():
        response = client_of(user).get(url)
        assert response.status_code == status, who
        if status == 200:
            assert response["Content-Type"] == "audio/wav"
            assert response["Cache-Control"] == "private, no-store"
            assert b"".join(response.streaming_content) == data
    assert client_of(agent.user).get("/audio/recordings/999999/").status_code == 404


def test_it_answers_byte_ranges_for_the_audio_player(recorded) -> None:
    agent, recording, data = recorded
    client, url = client_of(agent.user), f"/audio/recordings/{recording.pk}/"
    part = client.get(url, HTTP_RANGE="bytes=100-199")
    assert part.status_code == 206
    assert (part["Content-Range"], part["Content-Length"]) == (f"bytes 100-199/{len(data)}", "100")
    assert b"".join(part.streaming_content) == data[100:200]
    tail = client.get(url, HTTP_RANGE="bytes=-10")
    assert b"".join(tail.streaming_content) == data[-10:]
    rest = client.get(url, HTTP_RANGE=f"bytes={len(data) - 5}-")
    assert b"".join(rest.streaming_content) == data[-5:]
    beyond = client.get(url, HTTP_RANGE=f"bytes={len(data)}-")
    assert (beyond.status_code, beyond["Content-Range"]) == (416, f"bytes */{len(data)}")
    several = client.get(url, HTTP_RANGE="bytes=0-1,5-6")  # not supported: the whole file
    assert several.status_code == 200 and b"".join(several.streaming_content) == data
    head = client.head(url)
    assert (head.status_code, head["Content-Length"], head["Accept-Ranges"]) == (200, str(len(data)), "bytes")


def test_it_says_when_the_audio_is_not_copied_yet(recorded) -> None:
    agent, recording, _ = recorded
    pending = services.save_recording(call_id=recording.call_id, name="call-1-def", legs=[])
    response = client_of(agent.user).get(f"/audio/recordings/{pending.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert "copied" in response.content.decode()


def test_it_lets_the_agents_of_the_mailbox_queue_hear_a_voicemail() -> None:
    queue = make_queue()
    member, outsider = agent_in_role(queue), agent_in_role()
    call = services.start_call(channel_id="c2", caller_raw="13800138000", dnis="1")
    voicemail = Voicemail.objects.create(call=call, queue=queue, caller=call.caller, recording_name="vm-2-x")
    services.store_audio(kind="voicemail", pk=voicemail.pk, data=wav(1), duration_seconds=1.0)
    url = f"/audio/voicemails/{voicemail.pk}/"
    assert client_of(member.user).get(url).status_code == 200
    assert client_of(outsider.user).get(url).status_code == 403
    assert client_of(make_user("boss", SUPERVISOR)).get(url).status_code == 200


def test_the_call_page_in_the_admin_has_a_player_for_those_who_may_listen(recorded) -> None:
    agent, recording, _ = recorded
    page = f"/admin/ccapp/call/{recording.call_id}/change/"
    player = f'src="/audio/recordings/{recording.pk}/"'
    assert player in client_of(make_user("boss", SUPERVISOR)).get(page).content.decode()
    assert player in client_of(agent.user).get(page).content.decode()
    other = agent_in_role()
    listing = client_of(other.user).get("/admin/ccapp/recording/")
    assert listing.status_code == 200 and recording.name not in listing.content.decode()


def test_the_call_api_links_the_audio_of_its_recordings(recorded) -> None:
    agent, recording, data = recorded
    body = client_of(agent.user).get(f"/api/calls/{recording.call_id}/").json()
    (listed,) = body["recordings"]
    assert (listed["audio_url"], listed["size_bytes"], listed["file_state"]) == (
        f"/audio/recordings/{recording.pk}/",
        len(data),
        "stored",
    )
