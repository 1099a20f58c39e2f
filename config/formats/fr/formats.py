"""French dates (see config/formats/__init__.py): "18 juin 2020", "18/06/2020 14:30"."""

DATE_FORMAT = "j F Y"
DATETIME_FORMAT = r"j F Y \à H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
