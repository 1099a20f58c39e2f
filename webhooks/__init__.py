"""Webhooks: endpoints that other programs register, the events the apps emit, and their
signed deliveries, retried by the worker."""
