"""Each page's websocket messages as pydantic models with Literal type tags; shared ones are in app/server/protocol.py."""
