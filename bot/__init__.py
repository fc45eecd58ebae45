"""Composition root: settings, app wiring, channels, runtime and CLI."""
