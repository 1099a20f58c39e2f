"""The load benchmark's helpers: its world in its own database, and wrk's Lua scripts."""
