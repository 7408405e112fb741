"""The three roles (agent, supervisor, admin) as Django groups with the permissions they need.

Permissions are chosen by rule rather than listed one by one, so a model that an app adds later
falls into the right role without touching this file: agents work with customers and tickets,
supervisors also configure queues and read everything, admins have every permission.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

AGENT = "agent"
SUPERVISOR = "supervisor"
ADMIN = "admin"
ROLES = (AGENT, SUPERVISOR, ADMIN)

# Apps whose records agents create and edit in their daily work.
AGENT_WORK_APPS = ("crm", "tickets")
# Configuration models of those apps that only supervisors and admins change.
CONFIG_MODELS = {
    "crm": {"customfielddefinition", "articlecategory"},
    "tickets": {
        "slapolicy",
        "category",
        "assignmentrule",
        "customfield",
        "webhookendpoint",
        "webhookdelivery",
        "ticketcounter",
    },
}
# Call-center models a supervisor manages (queues and their people, wrap-up codes, callbacks).
SUPERVISOR_CCAPP_MODELS = {
    "queue", "queuemember", "queueskill", "skill", "agentskill", "dispositioncode", "pausecode",
    "callbackrequest", "voicemail", "businesshours", "openinghours", "holiday", "ivrflow", "inboundroute",
}  # fmt: skip
AGENT_READ_CCAPP_MODELS = {"call", "callevent", "recording", "voicemail", "callbackrequest", "queue",
                           "agent", "dispositioncode", "pausecode", "skill"}  # fmt: skip


def _agent_may(app: str, model: str, codename: str) -> bool:
    # Custom permissions such as ccapp.view_reports are not "view" of a model: compare whole codenames.
    action = codename.split("_", 1)[0] if codename.endswith(f"_{model}") else codename
    if app in AGENT_WORK_APPS:
        is_config = model in CONFIG_MODELS.get(app, set())
        return action == "view" or (not is_config and action in {"add", "change"})
    if app == "ccapp":
        return (
            codename == "handle_calls"
            or (codename == f"view_{model}" and model in AGENT_READ_CCAPP_MODELS)
            or (codename == f"change_{model}" and model in {"voicemail", "callbackrequest"})
        )
    return False


def _supervisor_may(app: str, model: str, codename: str) -> bool:
    if app in (*AGENT_WORK_APPS, "qa"):
        return True
    if app == "ccapp":
        return (
            model in SUPERVISOR_CCAPP_MODELS
            or codename in {"handle_calls", "monitor_calls", "view_reports", "listen_recordings"}
            or codename.startswith("view_")
        )
    return app == "auth" and codename == "view_user"


def _chosen(perms: Iterable, rule) -> set[int]:
    return {p.pk for p in perms if rule(p.content_type.app_label, p.content_type.model, p.codename)}


@transaction.atomic
def ensure_roles() -> dict:
    """Create or refresh the three role groups with their permissions (idempotent)."""
    # Imported here so the role names above can be read before Django is set up (the launcher does).
    from django.contrib.auth.models import Group, Permission

    perms = list(Permission.objects.select_related("content_type"))
    wanted = {
        AGENT: _chosen(perms, _agent_may),
        SUPERVISOR: _chosen(perms, _supervisor_may),
        ADMIN: {perm.pk for perm in perms},
    }
    groups = {}
    for name, perm_ids in wanted.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.set(perm_ids)
        groups[name] = group
    return groups


def role_of(user) -> str | None:
    """The highest role a user holds (superusers are admins)."""
    if not user.is_authenticated:
        return None
    if user.is_superuser:
        return ADMIN
    names = set(user.groups.values_list("name", flat=True))
    return next((role for role in (ADMIN, SUPERVISOR, AGENT) if role in names), None)
