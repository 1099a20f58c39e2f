"""Cooperation pacts between public bodies and the commons."""
