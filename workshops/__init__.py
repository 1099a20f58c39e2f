"""Open cooperation workshops: scheduling, registration, attendance, syntheses."""
