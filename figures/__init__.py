"""The figures of production: totals and their journal, charts, dashboard, open data, exports."""
