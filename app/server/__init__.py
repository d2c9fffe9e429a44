"""The FastAPI web layer: app factory, settings, page registry and routes."""
