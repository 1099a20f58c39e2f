"""Filters shared by the apps' API lists."""

import datetime

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

# What an id column holds: beyond it the database would be asked what it cannot answer.
BIGINT_MAX = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": BIGINT_MAX})
class IdFilter(django_filters.NumberFilter):
    """An object's id: a whole number the database can hold, else 400 naming the parameter
    (django-filter's NumberFilter takes 1.5 and 1e300 alike)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", BIGINT_MAX)
        super().__init__(*args, **kwargs)


class MomentField(forms.DateTimeField):
    """A date and time, in UTC: one with an offset PostgreSQL cannot hold ("-20:56"), or that
    falls before year 1 once in UTC, is refused with a message instead of a server error."""

    default_error_messages = {
        "out_of_range": _("Cette date est hors des limites : entre l'an 1 et l'an 9999."),
    }

    def to_python(self, value):
        moment = super().to_python(value)
        if moment is None:
            return None
        try:
            return moment.astimezone(datetime.UTC)
        except OverflowError:
            raise ValidationError(
                self.error_messages["out_of_range"], code="out_of_range"
            ) from None


# The days a filter takes: far enough apart for any real question, close enough that a week
# before the first or a day after the last stays a date Python and the databases can hold.
FIRST_DAY = datetime.date(1900, 1, 1)
LAST_DAY = datetime.date(2999, 12, 31)


class DayField(forms.DateField):
    """A day between FIRST_DAY and LAST_DAY, else an error naming the limits."""

    default_error_messages = {
        "day_out_of_range": _(
            "Cette date est hors des limites : entre le %(first)s et le %(last)s."
        ),
    }

    def validate(self, value):
        super().validate(value)
        if value is not None and not FIRST_DAY <= value <= LAST_DAY:
            raise ValidationError(
                self.error_messages["day_out_of_range"],
                code="day_out_of_range",
                params={"first": f"{FIRST_DAY:%d/%m/%Y}", "last": f"{LAST_DAY:%d/%m/%Y}"},
            )


class DayFilter(django_filters.DateFilter):
    """A DateFilter on DayField: every date filter of the pages and the API."""

    field_class = DayField


class PeriodForm(forms.Form):
    """A filter form whose period (`period`: the names of its first and last day) does not end
    before it starts: that is an error on the last day, not an empty list without a word."""

    period: tuple[str, str] = ("", "")

    def clean(self):
        data = super().clean()
        first, last = (data.get(name) for name in self.period)
        if first and last and last < first:
            self.add_error(
                self.period[1],
                ValidationError(
                    _("La fin de la période (%(last)s) précède son début (%(first)s)."),
                    code="period_reversed",
                    params={"first": f"{first:%d/%m/%Y}", "last": f"{last:%d/%m/%Y}"},
                ),
            )
        return data


def period_form(first: str, last: str) -> type[PeriodForm]:
    """The form class of a FilterSet (`Meta.form`) whose period runs from `first` to `last`."""
    return type("PeriodForm", (PeriodForm,), {"period": (first, last)})


class MomentFilter(django_filters.DateTimeFilter):
    """A DateTimeFilter on MomentField: ISO 8601, Paris time when no offset is given."""

    field_class = MomentField
