from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def _refresh_roles(sender, **kwargs) -> None:
    from django.apps import apps

    # post_migrate fires once per app; refresh after the last one, when every permission exists.
    if sender is list(apps.get_app_configs())[-1]:
        from ccapp.roles import ensure_roles

        ensure_roles()


class CcappConfig(AppConfig):
    name = "ccapp"
    label = "ccapp"
    verbose_name = _("Call center")

    def ready(self) -> None:
        # Roles follow the models: after every migrate the groups get the permissions of new models.
        post_migrate.connect(_refresh_roles, dispatch_uid="ccapp.refresh_roles")
