"""Websocket URL routes (consumers live in ccapp/consumers.py)."""

from django.urls import path

from ccapp.consumers import DeskConsumer, WallboardConsumer

websocket_urlpatterns: list = [
    path("ws/desk/", DeskConsumer.as_asgi()),
    path("ws/wallboard/", WallboardConsumer.as_asgi()),
]
