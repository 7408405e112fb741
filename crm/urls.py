"""URLs of the crm app: pages and API."""

app_name = "crm"
urlpatterns: list = []
