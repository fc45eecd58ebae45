"""The FAQ knowledge base and matcher: a pure library (no platform, no database)."""
