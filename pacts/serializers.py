"""API shapes of cooperation pacts: the register's entries (the text in force, its parties,
their commitments and signature dates, the reports), and signing. No representative's name
or address is shown: parties are bodies, organisations and makers."""

from django.urls import reverse
from rest_framework import serializers

from fablabs.models import Organisation
from makers.models import Maker
from tilab.models import Department
from tilab.serializers import PrimaryKeyRelatedField, SlugRelatedField

from .models import (
    Commitment,
    Licence,
    Pact,
    PactReport,
    PactVersion,
    Party,
    ReportFigure,
    Theme,
)
from .selectors import in_force


class CommitmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Commitment
        fields = ["kind", "description", "amount_cents"]


class PartySerializer(serializers.ModelSerializer):
    commitments = CommitmentSerializer(many=True, read_only=True)
    signed_at = serializers.SerializerMethodField()
    organisation = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Party
        fields = ["id", "kind", "name", "organisation", "commitments", "signed_at"]

    def get_signed_at(self, party) -> str | None:
        signature = getattr(party, "signature", None)
        return signature.signed_at.isoformat() if signature else None


class VersionSerializer(serializers.ModelSerializer):
    parties = PartySerializer(many=True, read_only=True)
    review_dates = serializers.SerializerMethodField()

    class Meta:
        model = PactVersion
        fields = [
            "number", "status", "title", "purpose", "commons", "licence", "starts_on", "ends_on",
            "review_dates", "amendment_reason", "signed_at", "parties",
        ]  # fmt: skip

    def get_review_dates(self, version) -> list[str]:
        return [review.review_on.isoformat() for review in version.reviews.all()]


class FigureSerializer(serializers.ModelSerializer):
    class Meta:
        model = ReportFigure
        fields = ["label", "value", "unit"]


class ReportSerializer(serializers.ModelSerializer):
    figures = FigureSerializer(many=True, read_only=True)
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = PactReport
        fields = ["id", "summary", "submitted_at", "figures", "attachments"]

    def get_attachments(self, report) -> list[dict]:
        request = self.context.get("request")
        return [
            {
                "name": a.name,
                "size": a.size,
                "sha256": a.sha256,
                "url": request.build_absolute_uri(reverse("pacts:attachment", args=[a.pk])),
            }
            for a in report.attachments.all()
        ]


class PactSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department_id", allow_null=True, read_only=True)
    text = serializers.SerializerMethodField()
    reports = ReportSerializer(many=True, read_only=True)
    pdf = serializers.SerializerMethodField()

    class Meta:
        model = Pact
        fields = [
            "id", "status", "theme", "department", "signed_at", "ended_at", "renewed_from",
            "text", "reports", "pdf",
        ]  # fmt: skip

    def get_text(self, pact) -> dict:
        return VersionSerializer(in_force(pact), context=self.context).data

    def get_pdf(self, pact) -> str:
        return self.context["request"].build_absolute_uri(reverse("pacts:pdf", args=[pact.pk]))


class SignSerializer(serializers.Serializer):
    confirm = serializers.BooleanField(
        help_text="true: the text was read and is committed on behalf of the party."
    )


class SignedSerializer(serializers.Serializer):
    party = serializers.IntegerField()
    signed_at = serializers.DateTimeField()
    version_status = serializers.CharField()


# --- Working on pacts (drafts included, for those who may see them) ------------------------


class WorkPactSerializer(serializers.ModelSerializer):
    """A pact as its parties and stewards see it: every version, drafts included."""

    department = serializers.CharField(source="department_id", allow_null=True, read_only=True)
    versions = VersionSerializer(many=True, read_only=True)
    reports = ReportSerializer(many=True, read_only=True)

    class Meta:
        model = Pact
        fields = [
            "id", "status", "theme", "department", "created_at", "signed_at", "ended_at",
            "renewed_from", "versions", "reports",
        ]  # fmt: skip


class TextSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    purpose = serializers.CharField()
    commons = serializers.CharField()
    licence = serializers.ChoiceField(choices=Licence.choices)
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    review_dates = serializers.ListField(child=serializers.DateField(), default=list)


class PactCreateSerializer(TextSerializer):
    theme = serializers.ChoiceField(choices=Theme.choices)
    department = PrimaryKeyRelatedField(
        queryset=Department.objects.all(), allow_null=True, default=None
    )


class AmendmentTextSerializer(TextSerializer):
    amendment_reason = serializers.CharField(allow_blank=True, default="")


class PartyCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Party.Kind.choices)
    name = serializers.CharField(max_length=200, allow_blank=True, default="")
    organisation = SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.all(), allow_null=True, default=None
    )
    maker = PrimaryKeyRelatedField(queryset=Maker.objects.all(), allow_null=True, default=None)
    representative = serializers.EmailField(
        help_text="The e-mail address of the account that signs for this party."
    )


class CommitmentCreateSerializer(serializers.Serializer):
    party = serializers.IntegerField(min_value=1)
    kind = serializers.ChoiceField(choices=Commitment.Kind.choices)
    description = serializers.CharField(max_length=500)
    amount_cents = serializers.IntegerField(allow_null=True, default=None)


class RemoveSerializer(serializers.Serializer):
    id = serializers.IntegerField(min_value=1)


class FigureInputSerializer(serializers.Serializer):
    label = serializers.CharField(max_length=200)
    value = serializers.IntegerField()
    unit = serializers.CharField(max_length=50, allow_blank=True, default="")


class ReportCreateSerializer(serializers.Serializer):
    """A report by JSON (attachments are joined on the page, a multipart form)."""

    summary = serializers.CharField()
    figures = FigureInputSerializer(many=True, default=list)


class MotivationSerializer(serializers.Serializer):
    motivation = serializers.CharField(max_length=2000)
