"""URLs of the crm app: the public help center and the API."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from crm import views
from crm.api import views as api

app_name = "crm"

router = DefaultRouter()
router.register("customers", api.CustomerViewSet, basename="customer")
router.register("articles", api.ArticleViewSet, basename="article")

urlpatterns = [
    path("help/", views.help_index, name="help"),
    path("help/<slug:slug>/", views.help_article, name="help-article"),
    path("help/<slug:slug>/vote/", views.help_vote, name="help-vote"),
    path("api/lookup/", api.LookupView.as_view(), name="lookup"),
    path("api/search/", api.SearchView.as_view(), name="search"),
    path("api/assist/", api.AssistView.as_view(), name="assist"),
    path("api/", include(router.urls)),
]
