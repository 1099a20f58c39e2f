"""Forms of the facilitators' pages: scheduling a workshop (dates typed as read on a clock in
Brittany), duplicating and cancelling it, checking people in, messaging registrants and writing
the synthesis. The forms read what was typed; the services keep the rules, and their refusals
come back on the fields (`add_refusal`)."""

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tilab import roles
from tilab.forms import RefusalsMixin
from tilab.i18n import localised
from tilab.models import Department
from tilab.reference import BRITTANY

from . import errors
from .models import Registration, Theme, Workshop
from .services import MAX_CAPACITY, WorkshopDetails

# Workshops happen in Brittany: the times facilitators type are Paris times, whatever the
# server's or the browser's clock says.
PARIS = ZoneInfo("Europe/Paris")
MAX_DURATION_MINUTES = 7 * 24 * 60


def paris_datetime(day, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=PARIS)


def _date_input():
    return forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _time_input():
    return forms.TimeInput(format="%H:%M", attrs={"type": "time"})


class ThemeField(forms.ModelChoiceField):
    def label_from_instance(self, theme):
        return localised(theme, "name")


class FacilitatorsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        return f"{user.full_name} ({user.email})" if user.full_name else user.email


class WorkshopForm(RefusalsMixin, forms.Form):
    """A workshop's details. `workshop` is the one being edited (its date may stay as it is
    even once past)."""

    # The services' names of the details (WorkshopDetails) → the fields typed here.
    refusal_fields = {
        "starts_at": "starts_on",
        "duration_minutes": "duration_hours",
        "registration_deadline": "deadline_on",
    }

    title = forms.CharField(label=_("Titre"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Ce dont on parlera, pour qui, ce qu'il faut apporter."),
    )
    theme = ThemeField(label=_("Thème"), queryset=Theme.objects.none(), empty_label=None)
    starts_on = forms.DateField(label=_("Date"), widget=_date_input())
    starts_time = forms.TimeField(
        label=_("Heure de début"), widget=_time_input(), help_text=_("Heure de Paris.")
    )
    duration_hours = forms.IntegerField(
        label=_("Heures"),
        min_value=0,
        max_value=7 * 24,
        initial=2,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    duration_minutes = forms.IntegerField(
        label=_("Minutes"),
        min_value=0,
        max_value=59,
        initial=0,
        required=False,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    address = forms.CharField(
        label=_("Adresse"),
        max_length=200,
        required=False,
        help_text=_("Le lieu exact : n° et rue, salle, FabLab."),
    )
    commune = forms.CharField(label=_("Commune"), max_length=100, required=False)
    department = forms.ModelChoiceField(
        label=_("Département"),
        queryset=Department.objects.none(),
        required=False,
        empty_label="—",
    )
    online_url = forms.URLField(
        label=_("Lien de visioconférence"),
        required=False,
        assume_scheme="https",
        help_text=_("Pour un atelier en ligne ou hybride, par exemple https://visio.example.org/…"),
    )
    capacity = forms.IntegerField(
        label=_("Nombre de places"),
        min_value=1,
        max_value=MAX_CAPACITY,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        help_text=_("Au-delà, les inscriptions vont en liste d'attente."),
        error_messages={
            "min_value": _("Prévoyez au moins une place."),
            "max_value": _("10 000 places au plus."),
        },
    )
    deadline_on = forms.DateField(
        label=_("Inscriptions jusqu'au (date)"),
        required=False,
        widget=_date_input(),
        help_text=_("Vide : jusqu'au début de l'atelier."),
    )
    deadline_time = forms.TimeField(
        label=_("Inscriptions jusqu'à (heure)"), required=False, widget=_time_input()
    )
    co_facilitators = FacilitatorsField(
        label=_("Co-facilitateurs"),
        queryset=get_user_model().objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Ils gèrent l'atelier avec vous : inscriptions, pointage, synthèse."),
    )
    visibility = forms.ChoiceField(
        label=_("Qui peut s'inscrire"),
        choices=[
            ("public", _("Tout le monde")),
            ("invitation", _("Sur invitation")),
        ],
        initial="public",
        widget=forms.RadioSelect,
        help_text=_(
            "Un atelier sur invitation n'est pas dans l'agenda public : seules les personnes "
            "qui ont son lien d'invitation peuvent s'inscrire."
        ),
    )

    def __init__(self, *args, by, workshop: Workshop | None = None, **kwargs):
        if workshop is not None and "initial" not in kwargs:
            kwargs["initial"] = self.initial_from(workshop, by=by)
        super().__init__(*args, **kwargs)
        self.workshop = workshop
        self.fields["theme"].queryset = Theme.objects.order_by("position", "slug")
        self.fields["department"].queryset = Department.objects.filter(
            code__in=[code for code, _name in BRITTANY]
        ).order_by("code")
        self.fields["co_facilitators"].queryset = (
            get_user_model()
            .objects.filter(groups__name=roles.FACILITATOR, is_active=True)
            .exclude(pk=by.pk)
            .order_by("full_name", "email")
        )

    @staticmethod
    def initial_from(workshop: Workshop, *, by) -> dict:
        starts = workshop.starts_at.astimezone(PARIS)
        deadline = workshop.registration_deadline.astimezone(PARIS)
        hours, minutes = divmod(workshop.duration_minutes, 60)
        return {
            "title": workshop.title,
            "description": workshop.description,
            "theme": workshop.theme_id,
            "starts_on": starts.date(),
            "starts_time": starts.time().replace(tzinfo=None),
            "duration_hours": hours,
            "duration_minutes": minutes,
            "address": workshop.address,
            "commune": workshop.commune,
            "department": workshop.department_id,
            "online_url": workshop.online_url,
            "capacity": workshop.capacity,
            # A deadline at the start reads as "until it starts": the field stays empty.
            "deadline_on": None if deadline == starts else deadline.date(),
            "deadline_time": None if deadline == starts else deadline.time().replace(tzinfo=None),
            "co_facilitators": [u.pk for u in workshop.facilitators.all() if u.pk != by.pk],
            "visibility": "public" if workshop.is_public else "invitation",
        }

    def clean(self):
        cleaned = super().clean()
        starts = None
        if cleaned.get("starts_on") and cleaned.get("starts_time"):
            starts = paris_datetime(cleaned["starts_on"], cleaned["starts_time"])
            current = self.workshop.starts_at if self.workshop is not None else None
            if current is not None and starts == current.replace(second=0, microsecond=0):
                starts = current  # the date as it was, to the second: not a change
        cleaned["starts_at"] = starts

        if "duration_hours" not in self.errors and "duration_minutes" not in self.errors:
            total = (cleaned.get("duration_hours") or 0) * 60 + (
                cleaned.get("duration_minutes") or 0
            )
            if total < 1:
                self.add_error("duration_hours", _("Indiquez une durée d'au moins une minute."))
            elif total > MAX_DURATION_MINUTES:
                self.add_error("duration_hours", _("Un atelier dure une semaine au plus."))
            cleaned["duration_total"] = total

        deadline_on, deadline_time = cleaned.get("deadline_on"), cleaned.get("deadline_time")
        deadline = None
        if deadline_on and not deadline_time and "deadline_time" not in self.errors:
            self.add_error("deadline_time", _("Indiquez aussi l'heure de clôture."))
        elif deadline_time and not deadline_on and "deadline_on" not in self.errors:
            self.add_error("deadline_on", _("Indiquez aussi la date de clôture."))
        elif deadline_on and deadline_time:
            deadline = paris_datetime(deadline_on, deadline_time)
        cleaned["registration_deadline"] = deadline
        return cleaned

    def details(self) -> WorkshopDetails:
        data = self.cleaned_data
        return WorkshopDetails(
            title=data["title"],
            description=data["description"].strip(),
            theme=data["theme"],
            starts_at=data["starts_at"],
            duration_minutes=data["duration_total"],
            capacity=data["capacity"],
            registration_deadline=data["registration_deadline"],
            address=data["address"],
            commune=data["commune"],
            department_id=data["department"].code if data["department"] else None,
            online_url=data["online_url"],
            is_public=data["visibility"] == "public",
        )


class DuplicateForm(RefusalsMixin, forms.Form):
    """The new date and time of a workshop held again."""

    refusal_fields = {"starts_at": "starts_on"}

    starts_on = forms.DateField(label=_("Nouvelle date"), widget=_date_input())
    starts_time = forms.TimeField(
        label=_("Heure de début"), widget=_time_input(), help_text=_("Heure de Paris.")
    )

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("starts_on") and cleaned.get("starts_time"):
            cleaned["starts_at"] = paris_datetime(cleaned["starts_on"], cleaned["starts_time"])
        return cleaned


class CancelForm(RefusalsMixin, forms.Form):
    # Required by the service (cancellation_reason_missing), whose refusal comes back here;
    # the browser is told so too.
    reason = forms.CharField(
        label=_("Motif de l'annulation"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "required": True}),
        help_text=_("Il est envoyé par e-mail à chaque inscrit et à la liste d'attente."),
    )


class CheckinForm(RefusalsMixin, forms.Form):
    """Who came, among the people holding a seat. `shown` lists the people the page showed
    (a box left unticked means absent); `one`, sent by a single toggle, records that person
    only."""

    present = forms.TypedMultipleChoiceField(coerce=int, required=False)
    shown = forms.TypedMultipleChoiceField(coerce=int, required=False)
    one = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)

    def __init__(self, *args, registrations: list[Registration], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(r.pk, r.name) for r in registrations]
        for name in ("present", "shown", "one"):
            self.fields[name].choices = choices
            self.fields[name].error_messages["invalid_choice"] = _(
                "La liste des inscrits a changé depuis l'affichage de la page : vérifiez-la, "
                "puis enregistrez à nouveau."
            )

    def attended(self) -> dict[int, bool]:
        present = set(self.cleaned_data["present"])
        one = self.cleaned_data["one"]
        if one is not None:
            return {one: one in present}
        return {pk: pk in present for pk in self.cleaned_data["shown"]}


class MessageForm(RefusalsMixin, forms.Form):
    subject = forms.CharField(label=pgettext_lazy("e-mail", "Objet"), max_length=200)
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 8}))
    include_waitlist = forms.BooleanField(
        label=_("Envoyer aussi aux personnes en liste d'attente"), required=False
    )


class SynthesisForm(RefusalsMixin, forms.Form):
    # Required here too: a preview of nothing is refused as saving it would be.
    body = forms.CharField(
        label=_("Synthèse"),
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text=_(
            "En Markdown : ## pour un intertitre, - pour une liste, **gras**, [lien](https://…)."
        ),
        error_messages={"required": errors.SYNTHESIS_EMPTY.message},
    )
