"""The staff console: web pages served by ``shequn run`` at ``/console/``."""
