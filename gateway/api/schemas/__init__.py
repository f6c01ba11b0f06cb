"""The public shapes of the API, apart from the rows the store keeps (gateway.quarantine)."""
