"""REST API of the call-center core, under /api/."""

from rest_framework.routers import DefaultRouter

from ccapp.api import views

router = DefaultRouter()
router.register("queues", views.QueueViewSet)
router.register("ivr-flows", views.IVRFlowViewSet)
router.register("inbound-routes", views.InboundRouteViewSet)
router.register("skills", views.SkillViewSet)
router.register("dispositions", views.DispositionCodeViewSet)
router.register("pause-codes", views.PauseCodeViewSet)
router.register("agents", views.AgentViewSet)
router.register("calls", views.CallViewSet)
router.register("callbacks", views.CallbackViewSet)

urlpatterns = router.urls
