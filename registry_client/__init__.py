"""Python client for the model registry (placeholder until the client lands)."""
