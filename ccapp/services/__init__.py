"""Every write of the telephony core; services run in a transaction and push after commit."""

from ccapp.services.agents import cancel_offer, claim_agent, end_wrapup, miss_offer, set_agent_state
from ccapp.services.callbacks import (
    cancel_callback,
    dial_callback_customer,
    finish_callback_attempt,
    recover_callbacks,
    request_callback,
    start_callback_attempt,
)
from ccapp.services.calls import (
    answer_call,
    append_call_event,
    enqueue_call,
    finish_call,
    offer_call,
    record_ivr_exit,
    save_ivr_checkpoint,
    start_call,
    start_transferred_call,
)
from ccapp.services.media import (
    AudioCopyError,
    fail_audio,
    finish_recording,
    mark_recording_paused,
    record_survey,
    save_recording,
    save_voicemail,
    store_audio,
)

__all__ = [
    "AudioCopyError",
    "answer_call",
    "append_call_event",
    "cancel_callback",
    "cancel_offer",
    "claim_agent",
    "dial_callback_customer",
    "end_wrapup",
    "enqueue_call",
    "fail_audio",
    "finish_call",
    "finish_callback_attempt",
    "finish_recording",
    "mark_recording_paused",
    "miss_offer",
    "offer_call",
    "record_ivr_exit",
    "record_survey",
    "recover_callbacks",
    "request_callback",
    "save_ivr_checkpoint",
    "save_recording",
    "save_voicemail",
    "set_agent_state",
    "start_call",
    "start_callback_attempt",
    "start_transferred_call",
    "store_audio",
]
