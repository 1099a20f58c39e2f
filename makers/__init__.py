"""Makers, the item catalogue, production reports and the figures built from them."""
