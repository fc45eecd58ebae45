"""Running as one process or as several replicas on one database."""
