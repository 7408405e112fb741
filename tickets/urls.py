"""URLs of the tickets app: pages and API."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from tickets import views
from tickets.api import views as api

app_name = "tickets"

router = DefaultRouter()
router.register("tickets", api.TicketViewSet, basename="ticket")
router.register("categories", api.CategoryViewSet, basename="category")
router.register("sla-policies", api.SLAPolicyViewSet, basename="slapolicy")

urlpatterns = [
    path("", views.ticket_list, name="list"),
    path("<int:pk>/", views.ticket_detail, name="detail"),
    path("form/", views.public_form, name="form"),
    path("satisfaction/<str:token>/", views.satisfaction, name="satisfaction"),
    path("api/", include(router.urls)),
]
