"""The wire: every message (pydantic models with Literal type tags), errors, binary frames and request limits.

Services and the web layer both speak it; it imports neither, and nothing of FastAPI, Starlette or uvicorn.
"""
