"""The demo: `manage.py seed_demo` and the data it loads; on top of every app, imported by none."""
