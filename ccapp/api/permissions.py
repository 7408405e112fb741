"""DRF permissions by role: model permissions (view included) and named permissions."""

from __future__ import annotations

from rest_framework.permissions import BasePermission, DjangoModelPermissions


class ModelPermissions(DjangoModelPermissions):
    """Django model permissions, reads included: GET needs `view_<model>`."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }


def has_perms(*perms: str) -> type[BasePermission]:
    """A permission class that requires every named permission (e.g. 'ccapp.monitor_calls')."""

    class HasPerms(BasePermission):
        message = "You do not have permission for this action."

        def has_permission(self, request, view) -> bool:
            user = request.user
            return bool(user and user.is_authenticated and user.has_perms(perms))

    HasPerms.__name__ = "HasPerms_" + "_".join(p.replace(".", "_") for p in perms)
    return HasPerms
