"""Load the demo call center (idempotent)."""

from django.core.management.base import BaseCommand

from ccapp import demo


class Command(BaseCommand):
    help = "Load the demo call center: users, agents, queues, IVR, routes, customers, articles, tickets."

    def handle(self, *args, **options) -> None:
        counts = demo.seed()
        self.stdout.write(self.style.SUCCESS(f"Demo data ready: {counts}"))
        self.stdout.write(
            f"Demo logins (password {demo.DEMO_PASSWORD}): " + ", ".join(u[0] for u in demo.DEMO_USERS)
        )
