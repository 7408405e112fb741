"""Demo accounts (plain data, importable before Django is set up)."""

from ccapp.roles import ADMIN, AGENT, SUPERVISOR

DEMO_PASSWORD = "ccapp-demo-2026"

DEMO_USERS = [
    # username, first name, last name, role, (extension, skills with levels)
    ("admin", "IT", "Admin", ADMIN, None),
    ("supervisor", "静", "刘", SUPERVISOR, None),
    ("agent1", "伟", "张", AGENT, ("1001", {"mandarin": 9, "sales": 8, "support": 4})),
    ("agent2", "娜", "李", AGENT, ("1002", {"mandarin": 9, "support": 8, "vip": 7})),
    ("agent3", "Emily", "Chen", AGENT, ("1003", {"english": 9, "mandarin": 6, "sales": 6, "support": 6})),
    ("agent4", "芳", "王", AGENT, ("1004", {"mandarin": 8, "vip": 9, "sales": 5, "support": 7})),
]
