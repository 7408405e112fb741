"""Create the beat entries of the tickets app on every install (same as services.ensure_schedules)."""

from django.db import migrations

# Copied, not imported: a migration must not depend on code that changes later.
SCHEDULES = {
    "tickets: SLA warnings and escalation": ("tickets.tasks.check_sla", 1),
    "tickets: auto-close resolved tickets": ("tickets.tasks.autoclose_resolved", 60),
}


def create(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, (task, minutes) in SCHEDULES.items():
        every, _ = IntervalSchedule.objects.get_or_create(every=minutes, period="minutes")
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "interval": every, "args": "[]"})


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name__in=list(SCHEDULES)).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
