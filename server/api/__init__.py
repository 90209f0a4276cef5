"""The REST API under `/api/v1`: routes, dependencies and the error mapping."""
