"""Sample flows for the IVR tests, valid by `ccapp.ivr.schema`."""

from __future__ import annotations

MAIN = {
    "start": "hours",
    "nodes": {
        "hours": {"type": "hours", "open": "welcome", "closed": "closed", "holiday": "holiday"},
        "welcome": {"type": "play", "prompt": {"sound": "hello-world"}, "next": "menu"},
        "menu": {
            "type": "menu",
            "prompt": {"text": "Press 1 for sales, 2 for your balance", "lang": "en"},
            "options": {"1": "sales", "2": "account", "9": "vm"},
            "timeout": 4,
            "retries": 2,
            "invalid_prompt": {"sound": "option-is-invalid"},
            "on_fail": "bye",
            "zero_to_agent": True,
        },
        "sales": {"type": "queue", "queue": "sales", "priority": 5},
        "account": {
            "type": "collect",
            "prompt": {"sound": "enter-account"},
            "variable": "account",
            "min_digits": 4,
            "max_digits": 6,
            "terminator": "#",
            "timeout": 3,
            "retries": 1,
            "next": "pin",
            "on_fail": "bye",
        },
        "pin": {
            "type": "pin",
            "prompt": {"sound": "enter-pin"},
            "hook": "verify_pin",
            "max_digits": 4,
            "retries": 1,
            "next": "balance",
            "on_fail": "bye",
        },
        "balance": {
            "type": "lookup",
            "hook": "balance",
            "params": {"account": "{account}"},
            "timeout": 2,
            "result_variable": "balance",
            "next": "rich",
            "on_error": "support",
        },
        "rich": {
            "type": "condition",
            "branches": [{"when": {"variable": "balance", "op": "ge", "value": 1000}, "goto": "vip"}],
            "default": "support",
        },
        "vip": {"type": "set_variable", "variable": "tier", "value": "gold-{account}", "next": "vipq"},
        "vipq": {"type": "queue", "queue": "vip"},
        "support": {"type": "queue", "queue": "support"},
        "vm": {"type": "voicemail", "mailbox": "sales"},
        "closed": {"type": "voicemail", "mailbox": "after-hours"},
        "holiday": {"type": "hangup", "prompt": {"text": "Happy holidays", "lang": "en"}},
        "bye": {"type": "hangup"},
    },
}

LANG = {
    "start": "lang",
    "nodes": {
        "lang": {"type": "set_language", "language": "en", "next": "jump"},
        "jump": {"type": "flow", "flow": "other"},
    },
}

# Valid by the schema (the condition can exit), but loops forever when x never becomes 1.
SPIN = {
    "start": "check",
    "nodes": {
        "check": {
            "type": "condition",
            "branches": [{"when": {"variable": "x", "op": "eq", "value": "1"}, "goto": "out"}],
            "default": "again",
        },
        "again": {"type": "set_variable", "variable": "y", "value": "1", "next": "check"},
        "out": {"type": "hangup"},
    },
}
