"""Channels: platform adapters. Each turns platform updates into events and
carries out the actions handlers return."""
