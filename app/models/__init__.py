"""The concrete networks the app runs, built from app.nn."""
