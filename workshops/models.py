"""Workshops arrive with their own models; the app already owns its pages and URLs."""
