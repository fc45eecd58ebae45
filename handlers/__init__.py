"""Platform-neutral behaviour of Shequn.

Handlers receive normalized events and *return* actions; channels (Telegram,
WeChat, the sandbox) do the sending. Nothing in this package imports a
platform library — ``tests/test_architecture.py`` enforces it.
"""
