"""Demo data of the tickets app: `seed()` (idempotent), called by `manage.py seed_demo`."""

from __future__ import annotations

from datetime import time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction

from ccapp.models import BusinessHours, OpeningHours, Queue
from ccapp.roles import AGENT
from crm.models import Customer
from tickets import clock, services
from tickets.models import AssignmentRule, Category, Channel, Priority, SLAPolicy, Status, Ticket

CATEGORIES = [
    # code, name, parent code
    ("fault", "故障 Fault", None),
    ("broadband", "宽带 Broadband", "fault"),
    ("mobile", "手机 Mobile", "fault"),
    ("billing", "账单 Billing", None),
    ("refund", "退款 Refund", "billing"),
    ("inquiry", "咨询 Inquiry", None),
    ("complaint", "投诉 Complaint", None),
]

POLICIES = [
    # name, order, priority, category, min VIP, first response, resolution (business minutes)
    ("紧急 Urgent", 10, Priority.URGENT, None, None, 30, 240),
    ("投诉 Complaints", 20, None, "complaint", None, 60, 960),
    ("VIP", 30, None, None, 1, 60, 480),
    ("标准 Standard", 100, None, None, None, 240, 1440),
]

# subject, category, priority, channel, customer index, final status, days ago
TICKETS = [
    ("宽带无法连接 Broadband down", "broadband", Priority.HIGH, Channel.PHONE, 0, Status.NEW, 0),
    ("Invoice shows the wrong plan", "billing", Priority.NORMAL, Channel.EMAIL, 1, Status.NEW, 0),
    ("手机信号差 Poor mobile signal", "mobile", Priority.NORMAL, Channel.PHONE, 2, Status.OPEN, 1),
    ("申请退款 Refund request", "refund", Priority.NORMAL, Channel.WEB_FORM, 3, Status.PENDING_CUSTOMER, 1),
    (
        "光猫更换 Modem replacement",
        "broadband",
        Priority.NORMAL,
        Channel.VOICEMAIL,
        4,
        Status.PENDING_THIRD_PARTY,
        2,
    ),
    ("套餐咨询 Plan question", "inquiry", Priority.LOW, Channel.CHAT, 5, Status.RESOLVED, 2),
    ("Roaming charges", "billing", Priority.NORMAL, Channel.API, 6, Status.CLOSED, 6),
    ("服务态度投诉 Complaint about service", "complaint", Priority.HIGH, Channel.PHONE, 7, Status.OPEN, 4),
    ("宽带无法连接（重复）Broadband down again", "broadband", Priority.HIGH, Channel.PHONE, 0, "merged", 0),
]


def _calendar() -> BusinessHours:
    calendar = BusinessHours.objects.order_by("pk").first()
    if calendar is None:
        calendar = BusinessHours.objects.create(name="工作时间 Office hours", timezone="Asia/Shanghai")
        for day in range(5):
            OpeningHours.objects.create(calendar=calendar, weekday=day, opens=time(9), closes=time(18))
    return calendar


def _customers() -> list[Customer]:
    customers = list(Customer.objects.order_by("pk")[:8])
    names = ["张伟", "Emily Chen", "王芳", "李娜", "Tom Baker", "刘洋", "陈静", "Zhao Lei"]
    for name in names[len(customers) :]:
        english = name.isascii()
        customers.append(
            Customer.objects.create(
                name=name,
                email=f"demo.{len(customers)}@example.com",
                language="en" if english else "zh",
                vip_level=2 if len(customers) == 1 else 0,
            )
        )
    return customers


def _config() -> dict[str, Category]:
    categories: dict[str, Category] = {}
    for code, name, parent in CATEGORIES:
        categories[code], _ = Category.objects.update_or_create(
            code=code, defaults={"name": name, "parent": categories.get(parent) if parent else None}
        )
    calendar = _calendar()
    for name, order, priority, category, vip, first, resolution in POLICIES:
        SLAPolicy.objects.update_or_create(
            name=name,
            defaults={
                "order": order, "priority": priority, "category": categories.get(category) if category else None,
                "min_vip_level": vip, "first_response_minutes": first, "resolution_minutes": resolution,
                "calendar": calendar,
            },
        )  # fmt: skip
    support = Queue.objects.filter(code="support").first()
    AssignmentRule.objects.update_or_create(
        name="退款 → 账单 Refunds to billing",
        defaults={"keywords": "退款, refund", "category": None, "set_priority": Priority.HIGH,
                  "add_tags": ["refund"], "team": support, "order": 10},
    )  # fmt: skip
    return categories


@transaction.atomic
def seed() -> dict[str, int]:
    """Categories, SLA policies, a calendar if none, a rule, the beat entries, and tickets in every state."""
    categories = _config()
    services.ensure_schedules()
    if Ticket.objects.filter(tags__contains=["demo"]).exists():
        return {"tickets": 0}
    User = get_user_model()
    # Agents work the demo tickets; a superuser only when no role group exists yet.
    staff = User.objects.filter(is_active=True).order_by("username")
    workers = list(staff.filter(groups__name=AGENT)[:4]) or list(staff.filter(is_superuser=True)[:1])
    customers = _customers()
    now, made = clock.now(), []
    for i, (subject, category, priority, channel, who, final, days) in enumerate(TICKETS):
        worker = workers[i % len(workers)] if workers else None
        with clock.travel(now - timedelta(days=days, hours=i)):
            ticket = services.create_ticket(
                subject=subject, category=categories[category], priority=priority, channel=channel,
                customer=customers[who % len(customers)], tags=["demo"], created_by=worker,
                description=f"{subject}\n(demo)",
            )  # fmt: skip
            made.append(ticket)
            _drive(ticket, final, worker, original=made[0])
    for ticket in made:
        services.process_sla(ticket.pk, now=now)
    return {"tickets": len(made)}


def _drive(ticket: Ticket, final: str, worker, *, original: Ticket) -> None:
    if final == Status.NEW:
        return
    if final == "merged":
        services.merge_tickets(ticket.pk, into_id=original.pk, actor=worker)
        return
    if worker is not None:
        services.assign_ticket(ticket.pk, assignee=worker, actor=worker)
    else:
        services.transition_ticket(ticket.pk, to=Status.OPEN, actor=None)
    services.add_comment(ticket.pk, body="您好，我们正在处理。We are on it.", public=True, author=worker)
    steps = {
        Status.OPEN: [],
        Status.PENDING_CUSTOMER: [Status.PENDING_CUSTOMER],
        Status.PENDING_THIRD_PARTY: [Status.PENDING_THIRD_PARTY],
        Status.RESOLVED: [Status.RESOLVED],
        Status.CLOSED: [Status.RESOLVED, Status.CLOSED],
    }[final]
    for status in steps:
        services.transition_ticket(ticket.pk, to=status, actor=worker)
    if final == Status.CLOSED:
        ticket.refresh_from_db()
        services.record_satisfaction(ticket.satisfaction_token, rating=5, comment="很满意 Very good")
