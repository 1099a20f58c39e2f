"""Makers, the item catalogue and production reports (their figures live in `figures`)."""
