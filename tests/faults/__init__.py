"""Fault tests: real processes of our own broken for real (see conftest.py)."""
