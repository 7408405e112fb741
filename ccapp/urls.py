"""Top-level URL configuration."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from ccapp import prompts, views
from ccapp.audio import views as audio_views
from ccapp.desk import views as desk_views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    # Rendered IVR prompts, fetched by Asterisk's media cache (public: named by the hash of their text).
    path("media/prompts/tts/<str:version>/<str:lang>/<str:key>.wav", prompts.prompt_view, name="prompt"),
    # Recordings and voicemails: the session's user must be allowed to hear them (ccapp.audio.access).
    path("audio/recordings/<int:pk>/", audio_views.recording_audio, name="recording-audio"),
    path("audio/voicemails/<int:pk>/", audio_views.voicemail_audio, name="voicemail-audio"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/", include("ccapp.api.urls")),
    path("crm/", include("crm.urls")),
    path("tickets/", include("tickets.urls")),
    path("qa/", include("qa.urls")),
    path("wfm/", include("ccapp.wfm.urls")),
    path("desk/", desk_views.desk, name="desk"),
    path("wallboard/", desk_views.wallboard, name="wallboard"),
    path("", views.home, name="home"),
]
