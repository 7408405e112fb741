from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CrmConfig(AppConfig):
    name = "crm"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from crm import pg  # noqa: F401  (registers the ilike_contains lookup)
