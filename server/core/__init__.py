"""Settings, database engine and token security of the service."""
