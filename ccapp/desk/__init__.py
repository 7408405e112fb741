"""The agent desktop and the wallboard: pages, websocket message schema and actions."""
