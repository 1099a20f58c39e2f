"""Relays and the subsidy chain: programmes, allocations, redistributions, payments."""
