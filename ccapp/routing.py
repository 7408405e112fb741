"""Websocket URL routes (consumers live in ccapp/consumers.py)."""

websocket_urlpatterns: list = []
