"""URL patterns of the supervisor WFM pages: include with ``path("wfm/", include("ccapp.wfm.urls"))``."""

from django.urls import path

from ccapp.wfm import views

app_name = "wfm"
urlpatterns = [
    path("calculator/", views.calculator, name="calculator"),
    path("plan/", views.plan, name="plan"),
]
