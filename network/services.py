"""Writes of the network: issuing attestations, exporting a person's data, deleting an account."""

import contextlib
import csv
import io
from datetime import datetime as DateTime

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fablabs.models import Organisation
from makers.models import Maker, Membership, MembershipRequest, ProductionReport
from subsidies.models import BankAccount, RedistributionLine
from tilab import roles
from tilab.errors import WrongState
from tilab.models import Decision, User
from tilab.services import decision_record
from tilab.spreadsheets import spreadsheet_safe
from workshops.models import CalendarFeed, Registration
from workshops.services import registration_cancel

from . import attestations
from .models import Attestation

# Domain of the addresses given to anonymised accounts: ".invalid" is reserved (RFC 2606),
# so nothing is ever delivered there.
ANONYMOUS_DOMAIN = "anonyme.invalid"


def _day_start(now: DateTime) -> DateTime:
    local = timezone.localtime(now)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def attestation_issue(
    *, maker: Maker | None = None, organisation: Organisation | None = None, by: User, now
) -> Attestation:
    """Freeze what a maker (or an organisation) did into an attestation with a verification
    code. Idempotent for the day: the same content asked for again on the same day returns the
    attestation already issued, so downloading twice does not multiply codes. The caller has
    checked that `by` may ask (the maker themself, a manager of the organisation)."""
    if (maker is None) == (organisation is None):
        raise ValueError("attestation_issue needs a maker or an organisation, not both.")
    with transaction.atomic():
        # Lock the holder so two simultaneous downloads issue one attestation, not two.
        if maker is not None:
            maker = Maker.objects.select_for_update().select_related("department").get(pk=maker.pk)
            content, holder = attestations.maker_content(maker), {"maker": maker}
        else:
            organisation = (
                Organisation.objects.select_for_update()
                .select_related("department")
                .get(pk=organisation.pk)
            )
            content = attestations.organisation_content(organisation)
            holder = {"organisation": organisation}
        for issued in Attestation.objects.filter(
            **holder, issued_at__gte=_day_start(now), issued_at__lte=now
        ).order_by("-issued_at"):
            if issued.content == content:
                return issued
        return Attestation.objects.create(
            **holder, holder_name=content["holder"], content=content, issued_at=now, issued_to=by
        )


# Personal data ---------------------------------------------------------------------------


def _iso(value):
    return value.isoformat() if value else None


def _decision_rows(subjects: list) -> list[dict]:
    """Decisions about these objects, without who took them (staff are other people)."""
    ids_per_type: dict = {}
    for subject in subjects:
        content_type = ContentType.objects.get_for_model(subject)
        ids_per_type.setdefault(content_type, []).append(str(subject.pk))
    condition = Q(pk__in=[])
    for content_type, ids in ids_per_type.items():
        condition |= Q(content_type=content_type, object_id__in=ids)
    return [
        {
            "decided_at": _iso(d.decided_at),
            "action": d.action,
            "subject": f"{d.content_type.model} {d.object_id}",
            "from_state": d.from_state,
            "to_state": d.to_state,
            "motivation": d.motivation,
        }
        for d in Decision.objects.filter(condition)
        .select_related("content_type")
        .order_by("decided_at", "pk")
    ]


def personal_data_export(*, user: User, now) -> dict:
    """Everything the platform holds about `user`, and only about them: their account, maker
    profile, memberships and requests, production reports (every status) and the decisions
    about them, subsidy lines paid to them as a maker, their own bank details, workshop
    registrations (by account or by their e-mail address), attestations. Other people appear
    by no name nor address: who validated a report is left out, organisations are named."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from knox.models import AuthToken

    maker = Maker.objects.select_related("department").filter(user=user).first()
    data: dict = {
        "exported_at": _iso(now),
        "account": {
            "email": user.email,
            "full_name": user.full_name,
            "date_joined": _iso(user.date_joined),
            "last_login": _iso(user.last_login),
            "roles": sorted(roles.roles_of(user)),
            "email_addresses": [
                {"email": a.email, "verified": a.verified, "primary": a.primary}
                for a in EmailAddress.objects.filter(user=user).order_by("pk")
            ],
            "second_factors": [
                {"type": a.type, "created_at": _iso(getattr(a, "created_at", None))}
                for a in Authenticator.objects.filter(user=user).order_by("pk")
            ],
            "api_tokens": [
                {"starts_with": t.token_key, "created": _iso(t.created), "expiry": _iso(t.expiry)}
                for t in AuthToken.objects.filter(user=user).order_by("created")
            ],
            "calendar_feed": CalendarFeed.objects.filter(user=user).exists(),
        },
        "maker": None,
        "memberships": [],
        "membership_requests": [],
        "production_reports": [],
        "decisions": [],
        "subsidy_lines": [],
        "bank_account": None,
    }
    subjects: list = []
    if maker is not None:
        data["maker"] = {
            "id": maker.pk,
            "display_name": maker.display_name,
            "department": str(maker.department),
            "commune": maker.commune,
            "skills": maker.skills,
            "equipment": maker.equipment,
            "is_public": maker.is_public,
            "created_at": _iso(maker.created_at),
        }
        subjects.append(maker)
        data["memberships"] = [
            {
                "organisation": m.organisation.name,
                "is_manager": m.is_manager,
                "joined_on": _iso(m.joined_on),
            }
            for m in Membership.objects.filter(maker=maker)
            .select_related("organisation")
            .order_by("pk")
        ]
        requests = list(
            MembershipRequest.objects.filter(maker=maker)
            .select_related("organisation")
            .order_by("requested_at", "pk")
        )
        subjects += requests
        data["membership_requests"] = [
            {
                "organisation": r.organisation.name,
                "message": r.message,
                "status": r.status,
                "requested_at": _iso(r.requested_at),
                "decided_at": _iso(r.decided_at),
            }
            for r in requests
        ]
        reports = list(
            ProductionReport.objects.filter(maker=maker)
            .select_related("item_type", "organisation", "department")
            .order_by("produced_on", "pk")
        )
        subjects += reports
        data["production_reports"] = [
            {
                "id": r.pk,
                "item": r.item_type.name_fr,
                "quantity": r.quantity,
                "produced_on": _iso(r.produced_on),
                "material_cost_cents": r.material_cost_cents,
                "recipient": r.recipient,
                "organisation": r.organisation.name if r.organisation_id else "",
                "department": str(r.department),
                "status": r.status,
                "source": r.source,
                "entered_at": _iso(r.entered_at),
                "updated_at": _iso(r.updated_at),
                "decided_at": _iso(r.decided_at),
                "rejection_reason": r.rejection_reason,
                "corrects": r.corrects_id,
            }
            for r in reports
        ]
        data["subsidy_lines"] = [
            {
                "programme": line.redistribution.allocation.programme.name,
                "relay": line.redistribution.allocation.relay.organisation.name,
                "status": line.redistribution.status,
                "amount_cents": line.amount_cents,
                "figures": line.figures,
                "paid_on": _iso(line.payment.paid_on) if hasattr(line, "payment") else None,
                "payment_reference": line.payment.reference if hasattr(line, "payment") else "",
            }
            for line in RedistributionLine.objects.filter(maker=maker)
            .select_related(
                "payment",
                "redistribution__allocation__programme",
                "redistribution__allocation__relay__organisation",
            )
            .order_by("pk")
        ]
        account = BankAccount.objects.filter(maker=maker).first()
        if account is not None:
            subjects.append(account)
            data["bank_account"] = {
                "holder": account.holder,
                "iban": account.iban,
                "bic": account.bic,
                "updated_at": _iso(account.updated_at),
            }
    data["decisions"] = _decision_rows(subjects)
    data["workshop_registrations"] = [
        {
            "workshop": r.workshop.title,
            "starts_at": _iso(r.workshop.starts_at),
            "name": r.name,
            "email": r.email,
            "status": r.status,
            "registered_at": _iso(r.registered_at),
            "cancelled_at": _iso(r.cancelled_at),
            "attended": r.attended,
        }
        for r in Registration.objects.filter(Q(user=user) | Q(email__iexact=user.email))
        .select_related("workshop")
        .order_by("registered_at", "pk")
    ]
    data["attestations"] = [
        {
            "code": attestations.code_display(a.code),
            "issued_at": _iso(a.issued_at),
            "holder_name": a.holder_name,
            "content": a.content,
        }
        for a in Attestation.objects.filter(Q(issued_to=user) | Q(maker__user=user))
        .distinct()
        .order_by("issued_at", "pk")
    ]
    return data


def _flat(value, prefix: str = ""):
    """(field, value) pairs of a nested record: {"a": {"b": 1}} → ("a.b", 1)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _flat(inner, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for index, inner in enumerate(value, start=1):
            yield from _flat(inner, f"{prefix}[{index}]")
    else:
        yield prefix, "" if value is None else value


def _safe(value):
    return spreadsheet_safe(value) if isinstance(value, str) else value


def personal_data_csv(*, data: dict) -> str:
    """The export as one CSV a spreadsheet opens: one line per value, with the section, the
    record number within it and the field (section;record;field;value). Text a spreadsheet
    would run as a formula (= + - @) starts with an apostrophe."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["section", "record", "field", "value"])
    for section, content in data.items():
        records = content if isinstance(content, list) else [content]
        for number, record in enumerate(records, start=1):
            if not isinstance(record, dict):
                writer.writerow([section, number, "", _safe("" if record is None else record)])
                continue
            for field, value in _flat(record):
                writer.writerow([section, number, field, _safe(value)])
    return out.getvalue()


# Deleting an account -------------------------------------------------------------------------


def account_delete(*, user: User, now) -> None:
    """Delete a person's account: what identifies them goes, what the network counted stays.

    - The `User` row stays, because decisions and the money ledger point to it (PROTECT) and
      are append-only: it is anonymised instead. Its e-mail becomes `deleted-<id>@anonyme.invalid`
      (unique, never delivered), its name is cleared, its password unusable, it is inactive and
      loses every role, relay team and workshop it facilitated; its allauth e-mail addresses,
      second factors (TOTP, recovery codes), API tokens and calendar feed are deleted. Sessions
      elsewhere end (inactive, new password hash); the view logs out the current one.
    - The `Maker` stays, so validated reports keep counting: "Maker anonyme n° <id>", commune,
      skills and equipment cleared, out of the public directory, no account. Reports are not
      touched (every status stays, so totals and the drift check are unchanged); redistribution
      lines and payments stay (the ledger needs them); the bank details are deleted.
    - Memberships and membership requests are deleted: they would tie the anonymous maker to
      organisations and to the cooperation links.
    - Workshop registrations (by account or by the person's address): those of workshops still
      to come are cancelled through `registration_cancel`, so the first person waiting gets the
      seat; then every one of them is anonymised ("Participant anonyme", an `.invalid` address),
      keeping attendance counts true.
    - Attestations issued to or about the person are deleted: the public check then says no
      attestation carries their code, instead of showing a name that is gone.
    - A decision "account_delete" is recorded on the user, by the user, with no personal data.
    """
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator
    from knox.models import AuthToken

    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        if not user.is_active and user.email.endswith("@" + ANONYMOUS_DOMAIN):
            return  # already deleted: deleting twice changes nothing
        old_email = user.email
        registrations = list(
            Registration.objects.filter(Q(user=user) | Q(email__iexact=old_email))
            .select_related("workshop")
            .order_by("pk")
        )
        for registration in registrations:
            upcoming = now < registration.workshop.starts_at
            if upcoming and registration.status != Registration.Status.CANCELLED:
                # Cancelled or started meanwhile: anonymised below all the same.
                with contextlib.suppress(WrongState):
                    registration_cancel(registration=registration, now=now)
        Registration.objects.filter(pk__in=[r.pk for r in registrations]).update(
            user=None, name="Participant anonyme"
        )
        for registration in registrations:
            Registration.objects.filter(pk=registration.pk).update(
                email=f"participant-{registration.pk}@{ANONYMOUS_DOMAIN}"
            )

        maker = Maker.objects.select_for_update().filter(user=user).first()
        maker_id = maker.pk if maker else None
        Attestation.objects.filter(
            Q(issued_to=user) | (Q(maker=maker) if maker else Q(pk__in=[]))
        ).delete()
        if maker is not None:
            BankAccount.objects.filter(maker=maker).delete()
            Membership.objects.filter(maker=maker).delete()
            MembershipRequest.objects.filter(maker=maker).delete()
            maker.display_name = f"Maker anonyme n° {maker.pk}"
            maker.commune = ""
            maker.skills = ""
            maker.equipment = ""
            maker.is_public = False
            maker.user = None
            maker.save(
                update_fields=[
                    "display_name",
                    "commune",
                    "skills",
                    "equipment",
                    "is_public",
                    "user",
                ]
            )

        EmailAddress.objects.filter(user=user).delete()
        Authenticator.objects.filter(user=user).delete()
        AuthToken.objects.filter(user=user).delete()
        CalendarFeed.objects.filter(user=user).delete()
        user.groups.clear()
        user.user_permissions.clear()
        user.relays.clear()
        user.facilitated_workshops.clear()
        user.email = f"deleted-{user.pk}@{ANONYMOUS_DOMAIN}"
        user.full_name = ""
        user.is_active = False
        user.is_staff = False
        user.is_superuser = False
        user.set_unusable_password()
        user.save()
        decision_record(
            actor=user,
            subject=user,
            action="account_delete",
            now=now,
            from_state="active",
            to_state="anonymised",
            data={"maker": maker_id, "registrations": len(registrations)},
        )
