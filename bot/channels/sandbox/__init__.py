"""The local sandbox: a terminal chat driving the real dispatcher, handlers and database."""
