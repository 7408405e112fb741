from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TicketsConfig(AppConfig):
    name = "tickets"
    verbose_name = _("Tickets")

    def ready(self) -> None:
        try:
            from crm.hooks import register_open_tickets
        except ImportError:  # the CRM card hook is optional
            return
        from tickets.selectors import open_tickets_for_customer

        register_open_tickets(open_tickets_for_customer)
