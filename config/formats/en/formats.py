"""English dates (see config/formats/__init__.py): "18 June 2020", "18 Jun 2020, 14:30"; the
day before the month as in Britain, the hour on 24 like the rest of the platform."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = "j F Y, H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
