"""The demo call center: what `manage.py seed_demo` loads (idempotent).

It matches the sample Asterisk configuration in `asterisk/`: DNIS 4000 reaches the main IVR, agents sit
on PJSIP/1001-1004.
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging

from django.contrib.auth.models import Group, User
from django.db import transaction

from ccapp import models as m
from ccapp.demo_accounts import DEMO_PASSWORD, DEMO_USERS
from ccapp.roles import ADMIN, ensure_roles

log = logging.getLogger(__name__)

SKILLS = {
    "mandarin": "普通话 / Mandarin",
    "english": "English",
    "sales": "售前 / pre-sales",
    "support": "售后 / after-sales",
    "vip": "VIP service",
}

QUEUES = [
    # code, name, strategy, priority, skills, members (extension: penalty)
    ("sales", "售前 Sales", m.Strategy.LONGEST_IDLE, 10, {"sales": 3}, {"1001": 0, "1003": 0, "1004": 1}),
    (
        "support",
        "售后 Support",
        m.Strategy.SKILLS_BASED,
        10,
        {"support": 3},
        {"1002": 0, "1003": 0, "1004": 1},
    ),
    ("vip", "VIP", m.Strategy.SKILLS_BASED, 50, {"vip": 5}, {"1002": 0, "1004": 0}),
]

DISPOSITIONS = [
    ("resolved", "已解决 Resolved", True),
    ("follow-up", "需跟进 Follow-up", False),
    ("sale", "已成交 Sale", True),
    ("complaint", "投诉 Complaint", False),
    ("wrong-number", "打错电话 Wrong number", True),
]

PAUSE_CODES = [("break", "休息 Break", False), ("lunch", "午餐 Lunch", False), ("training", "培训 Training", True),
               ("meeting", "会议 Meeting", True), ("missed", "未接 Missed call", False)]  # fmt: skip

# Chinese public holidays of 2026 and the weekend days worked in exchange (调休).
HOLIDAYS_2026 = [
    ("2026-01-01", "元旦", False), ("2026-02-16", "春节", False), ("2026-02-17", "春节", False),
    ("2026-02-18", "春节", False), ("2026-02-19", "春节", False), ("2026-02-20", "春节", False),
    ("2026-02-14", "春节调休", True), ("2026-04-06", "清明节", False), ("2026-05-01", "劳动节", False),
    ("2026-06-19", "端午节", False), ("2026-10-01", "国庆节", False), ("2026-10-02", "国庆节", False),
    ("2026-10-05", "国庆节", False), ("2026-09-27", "国庆调休", True),
]  # fmt: skip

MAIN_IVR = {
    "start": "lang",
    "nodes": {
        "lang": {"type": "menu", "prompt": {"text": "您好，欢迎致电演示公司。普通话请按1，For English press 2。", "lang": "zh"},
                 "options": {"1": "zh_menu", "2": "en_menu"}, "timeout": 5, "retries": 2, "on_fail": "zh_menu"},
        "zh_menu": {"type": "menu", "prompt": {"text": "购买咨询请按1，售后服务请按2，查询订单请按3，人工服务请按0。", "lang": "zh"},
                    "options": {"1": "q_sales", "2": "q_support", "3": "order"}, "zero_to_agent": True,
                    "invalid_prompt": {"text": "输入有误，请重新选择。", "lang": "zh"},
                    "timeout": 6, "retries": 3, "on_fail": "q_support"},
        "en_menu": {"type": "menu", "prompt": {"text": "For sales press 1, for support press 2, for an agent press 0.", "lang": "en"},
                    "options": {"1": "en_sales", "2": "en_support"}, "zero_to_agent": True,
                    "invalid_prompt": {"text": "Sorry, that is not a valid choice.", "lang": "en"},
                    "timeout": 6, "retries": 3, "on_fail": "en_support"},
        "en_sales": {"type": "set_language", "language": "en", "next": "q_sales"},
        "en_support": {"type": "set_language", "language": "en", "next": "q_support"},
        "order": {"type": "collect", "prompt": {"text": "请输入您的订单号，以井号键结束。", "lang": "zh"},
                  "variable": "order_id", "min_digits": 4, "max_digits": 12, "terminator": "#",
                  "timeout": 8, "retries": 2, "next": "order_lookup", "on_fail": "q_support"},
        "order_lookup": {"type": "lookup", "hook": "demo.order_status", "params": {"order_id": "${order_id}"},
                         "timeout": 3, "result_variable": "order_status", "next": "order_say", "on_error": "q_support"},
        "order_say": {"type": "play", "prompt": {"text": "您的订单状态是：${order_status}。", "lang": "zh"},
                      "next": "after_order"},
        "after_order": {"type": "menu", "prompt": {"text": "返回主菜单请按1，人工服务请按0。", "lang": "zh"},
                        "options": {"1": "zh_menu"}, "zero_to_agent": True, "timeout": 5, "retries": 1,
                        "on_fail": "bye"},
        "q_sales": {"type": "queue", "queue": "sales"},
        "q_support": {"type": "queue", "queue": "support"},
        "bye": {"type": "hangup", "prompt": {"text": "感谢您的来电，再见。", "lang": "zh"}},
    },
}  # fmt: skip

CLOSED_IVR = {
    "start": "closed",
    "nodes": {
        "closed": {"type": "play", "prompt": {"text": "现在是非工作时间，我们的工作时间是周一至周五九点到十八点。请在提示音后留言，我们会尽快回电。", "lang": "zh"},
                   "next": "vm"},
        "vm": {"type": "voicemail", "mailbox": "support"},
    },
}  # fmt: skip


@transaction.atomic
def seed(*, apps: tuple[str, ...] = ("crm", "tickets", "qa")) -> dict[str, int]:
    """Load the demo call center (and the named apps' demo data); running it again changes nothing."""
    ensure_roles()
    skills = {
        code: m.Skill.objects.get_or_create(name=code, defaults={"description": d})[0]
        for code, d in SKILLS.items()
    }
    agents = _seed_users(skills)
    queues = _seed_queues(skills, agents)
    _seed_codes(queues)
    hours = _seed_hours()
    main_flow = _flow("main", "主菜单 Main menu", MAIN_IVR)
    closed_flow = _flow("closed", "非工作时间 After hours", CLOSED_IVR)
    # The hotline is open around the clock so a demo at any hour reaches the queues; the office line
    # shows the business-hours branch (after hours: a message, then voicemail).
    m.InboundRoute.objects.update_or_create(
        dnis="4000",
        defaults={"name": "客服热线 Hotline (24/7)", "flow": main_flow, "failover_queue": queues["support"]},
    )
    m.InboundRoute.objects.update_or_create(
        dnis="4001",
        defaults={"name": "VIP 专线 VIP line", "queue": queues["vip"], "failover_queue": queues["support"]},
    )
    m.InboundRoute.objects.update_or_create(
        dnis="4002",
        defaults={"name": "办公室 Office line", "flow": main_flow, "business_hours": hours, "closed_flow": closed_flow,
                  "failover_queue": queues["support"]},
    )  # fmt: skip
    counts = {"agents": len(agents), "queues": len(queues)}
    for app in apps:
        counts.update(_seed_app(app))
    return counts


def _seed_users(skills: dict[str, m.Skill]) -> dict[str, m.Agent]:
    agents = {}
    for username, first, last, role, agent_spec in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@example.com"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
        user.is_staff = True
        user.is_superuser = role == ADMIN
        user.save()
        user.groups.add(Group.objects.get(name=role))
        if agent_spec:
            extension, levels = agent_spec
            agent, _ = m.Agent.objects.get_or_create(user=user, defaults={"extension": extension,
                                                                          "endpoint": f"PJSIP/{extension}"})  # fmt: skip
            for code, level in levels.items():
                m.AgentSkill.objects.update_or_create(
                    agent=agent, skill=skills[code], defaults={"level": level}
                )
            agents[extension] = agent
    return agents


def _seed_queues(skills: dict[str, m.Skill], agents: dict[str, m.Agent]) -> dict[str, m.Queue]:
    queues = {}
    for code, name, strategy, priority, needs, members in QUEUES:
        queue, _ = m.Queue.objects.get_or_create(
            code=code,
            defaults={"name": name, "strategy": strategy, "priority": priority, "offer_after_seconds": 90,
                      "survey_enabled": code != "sales", "require_disposition": code == "support"},
        )  # fmt: skip
        for skill, level in needs.items():
            m.QueueSkill.objects.get_or_create(
                queue=queue, skill=skills[skill], defaults={"min_level": level}
            )
        for extension, penalty in members.items():
            m.QueueMember.objects.get_or_create(
                queue=queue, agent=agents[extension], defaults={"penalty": penalty}
            )
        queues[code] = queue
    supervisor = User.objects.get(username="supervisor")
    for queue in queues.values():
        queue.mailbox_owners.add(supervisor)
    return queues


def _seed_codes(queues: dict[str, m.Queue]) -> None:
    for code, name, resolved in DISPOSITIONS:
        disposition, _ = m.DispositionCode.objects.get_or_create(
            code=code, defaults={"name": name, "resolved": resolved}
        )
        disposition.queues.add(*queues.values())
    for code, name, productive in PAUSE_CODES:
        m.PauseCode.objects.get_or_create(code=code, defaults={"name": name, "productive": productive})


def _seed_hours() -> m.BusinessHours:
    hours, created = m.BusinessHours.objects.get_or_create(name="工作时间 Office hours")
    if created:
        for weekday in range(5):
            m.OpeningHours.objects.create(
                calendar=hours, weekday=weekday, opens=dt.time(9), closes=dt.time(18)
            )
        m.OpeningHours.objects.create(calendar=hours, weekday=5, opens=dt.time(9), closes=dt.time(12))
    for day, name, working in HOLIDAYS_2026:
        m.Holiday.objects.get_or_create(
            calendar=hours, date=dt.date.fromisoformat(day), defaults={"name": name, "working_day": working}
        )
    return hours


def _flow(code: str, name: str, graph: dict) -> m.IVRFlow:
    flow = m.IVRFlow.objects.filter(code=code).first()
    if flow is None:
        flow = m.IVRFlow(code=code, name=name, graph=graph)
        flow.save()
    return flow


def _seed_app(app: str) -> dict[str, int]:
    """Each app may ship `<app>.demo.seed()`; it returns counts of what it made."""
    try:
        module = importlib.import_module(f"{app}.demo")
    except ModuleNotFoundError:
        return {}
    seed_app = getattr(module, "seed", None)
    result = seed_app() if callable(seed_app) else None
    return result if isinstance(result, dict) else {}
