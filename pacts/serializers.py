"""API shapes of cooperation pacts: the register's entries (the text in force, its parties,
their commitments and signature dates, the reports), and signing. No representative's name
or address is shown: parties are bodies, organisations and makers."""

from django.urls import reverse
from rest_framework import serializers

from .models import Commitment, Pact, PactReport, PactVersion, Party, ReportFigure
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
