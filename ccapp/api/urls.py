"""REST API of the call-center core, under /api/."""

urlpatterns: list = []
