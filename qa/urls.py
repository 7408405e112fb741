"""URLs of the qa app: pages and API."""

app_name = "qa"
urlpatterns: list = []
