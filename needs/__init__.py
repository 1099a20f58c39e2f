"""Needs of care establishments, makers' pledges, deliveries confirmed through signed links, and the
messages relayed between both sides without revealing addresses."""
