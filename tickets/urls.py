"""URLs of the tickets app: pages and API."""

app_name = "tickets"
urlpatterns: list = []
