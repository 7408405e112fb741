from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CcappConfig(AppConfig):
    name = "ccapp"
    label = "ccapp"
    verbose_name = _("Call center")
