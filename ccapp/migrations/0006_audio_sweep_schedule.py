"""The beat entry that copies recordings and voicemails no task copied (see ccapp.tasks.sweep_audio)."""

from django.db import migrations

# Copied, not imported: a migration must not depend on code that changes later.
NAME = "ccapp: copy recordings left on Asterisk"
TASK = "ccapp.tasks.sweep_audio"
MINUTES = 10


def create(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every, _ = IntervalSchedule.objects.get_or_create(every=MINUTES, period="minutes")
    PeriodicTask.objects.get_or_create(name=NAME, defaults={"task": TASK, "interval": every, "args": "[]"})


def remove(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("ccapp", "0005_call_ivr_checkpoint"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(create, remove)]
