"""API of the spreadsheet import: preview with dry_run, then import, all or nothing. A refused
import answers through the API's one exception handler (tilab/api_errors.py): 400 with every
line in error, 409 when a simultaneous import won."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.fields import empty
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from tilab.schema import CODE_HELP, AnyOf, ErrorSerializer, FieldErrorsSerializer, error_responses

from . import importing


class _BooleanDefaultTrue(serializers.BooleanField):
    # DRF reads a boolean missing from a form as False; a forgotten dry_run must stay a preview.
    default_empty_html = empty


class ProductionImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=_("Tableur CSV (séparateur ; , ou tabulation) ou Excel .xlsx, 5 Mo au plus.")
    )
    date_order = serializers.ChoiceField(
        choices=importing.options.DATE_ORDERS,
        required=False,
        help_text=_(
            "Ordre des dates écrites en texte (« 4/3/2020 »), quand le fichier ne le prouve pas "
            "lui-même : day_first ou month_first."
        ),
    )
    decimal_mark = serializers.ChoiceField(
        choices=importing.options.DECIMAL_MARKS,
        required=False,
        help_text=_(
            "Séparateur décimal des nombres écrits en texte (« 1,250 »), quand le fichier ne "
            "le prouve pas lui-même : comma ou point."
        ),
    )
    other_departments = serializers.ChoiceField(
        choices=importing.options.OTHER_DEPARTMENTS,
        required=False,
        help_text=_(
            "Relais : hand_over importe les lignes de vos départements et transmet les autres "
            "aux relais qui les couvrent. Sans lui, un fichier qui en contient ne s'importe pas."
        ),
    )
    dry_run = _BooleanDefaultTrue(
        default=True,
        help_text=_("Vrai (par défaut) : aperçu sans rien écrire. Faux : importe réellement."),
    )


class ImportRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    produced_on = serializers.DateField()
    maker = serializers.CharField()
    maker_is_new = serializers.BooleanField()
    organisation = serializers.CharField(allow_blank=True)
    organisation_is_new = serializers.BooleanField()
    department = serializers.CharField()
    item = serializers.CharField()
    item_name = serializers.CharField()
    quantity = serializers.IntegerField()
    material_cost_cents = serializers.IntegerField()
    recipient = serializers.CharField(allow_blank=True)


class ImportCountsSerializer(serializers.Serializer):
    rows_to_create = serializers.IntegerField()
    makers_to_create = serializers.IntegerField()
    organisations_to_create = serializers.IntegerField()
    memberships_to_create = serializers.IntegerField()
    already_there = serializers.IntegerField()
    duplicates = serializers.IntegerField()


class ImportMakerSerializer(serializers.Serializer):
    display_name = serializers.CharField()
    department = serializers.CharField()


class ImportOrganisationSerializer(serializers.Serializer):
    name = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    department = serializers.CharField()


class ImportDuplicateSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    duplicate_of = serializers.IntegerField()


class ImportItemTotalSerializer(serializers.Serializer):
    item = serializers.CharField()
    name = serializers.CharField()
    rows = serializers.IntegerField()
    quantity = serializers.IntegerField()
    material_cost_cents = serializers.IntegerField()


class ImportDepartmentTotalSerializer(serializers.Serializer):
    department = serializers.CharField()
    name = serializers.CharField()
    rows = serializers.IntegerField()
    quantity = serializers.IntegerField()
    material_cost_cents = serializers.IntegerField()


class ImportOptionsSerializer(serializers.Serializer):
    date_order = serializers.ChoiceField(choices=importing.options.DATE_ORDERS, required=False)
    decimal_mark = serializers.ChoiceField(choices=importing.options.DECIMAL_MARKS, required=False)
    other_departments = serializers.ChoiceField(
        choices=importing.options.OTHER_DEPARTMENTS, required=False
    )


class ImportChoiceNeededSerializer(serializers.Serializer):
    option = serializers.CharField(help_text=_("Le paramètre à donner : date_order, decimal_mark…"))
    message = serializers.CharField()


class ImportItemReadSerializer(serializers.Serializer):
    text = serializers.CharField(help_text=_("Le nom d'article tel qu'écrit dans le fichier."))
    item = serializers.CharField(help_text=_("L'article lu (son identifiant)."))
    item_name = serializers.CharField()
    how = serializers.ChoiceField(
        choices=["alias", "words"],
        help_text=_(
            "alias : une correspondance enregistrée pour le réseau ; words : les mots d'un nom "
            "du catalogue s'y trouvent."
        ),
    )
    rows = serializers.IntegerField(help_text=_("Lignes du fichier qui l'écrivent ainsi."))
    alias_id = serializers.IntegerField(allow_null=True)
    recorded_by = serializers.CharField(allow_blank=True)
    recorded_at = serializers.DateTimeField(allow_null=True)


class ImportPlanSerializer(serializers.Serializer):
    import_id = serializers.IntegerField(allow_null=True)
    imported = serializers.BooleanField()
    filename = serializers.CharField()
    counts = ImportCountsSerializer()
    rows = ImportRowSerializer(many=True)
    makers_to_create = ImportMakerSerializer(many=True)
    organisations_to_create = ImportOrganisationSerializer(many=True)
    already_there = serializers.ListField(child=serializers.IntegerField())
    duplicates = ImportDuplicateSerializer(many=True)
    totals_per_item = ImportItemTotalSerializer(many=True)
    totals_per_department = ImportDepartmentTotalSerializer(many=True)
    ignored_columns = serializers.ListField(child=serializers.CharField())
    options = ImportOptionsSerializer(help_text=_("Les choix de lecture appliqués."))
    choices_needed = ImportChoiceNeededSerializer(
        many=True,
        help_text=_("Choix que le fichier laisse ouverts : l'import est refusé tant qu'il y en a."),
    )
    item_aliases_used = ImportItemReadSerializer(
        many=True,
        help_text=_(
            "Noms d'articles lus autrement qu'au catalogue : par une correspondance du réseau "
            "(/api/v1/item-aliases/) ou par leurs mots."
        ),
    )


class ImportRowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text=_("Ligne du fichier (1 = en-têtes, 0 = le fichier)."))
    column = serializers.CharField(allow_blank=True)
    code = serializers.CharField(
        help_text=_(
            "Code stable de ce qui ne va pas à cette ligne : « date_unreadable », "
            "« quantity_not_positive », « not_a_spreadsheet »…"
        )
    )
    message = serializers.CharField()


class ImportUnknownItemSerializer(serializers.Serializer):
    text = serializers.CharField(help_text=_("Le nom d'article tel qu'écrit (première fois)."))
    lines = serializers.ListField(child=serializers.IntegerField())


class ImportRejectedSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=CODE_HELP)
    detail = serializers.CharField()
    field = serializers.CharField(allow_null=True)
    errors = ImportRowErrorSerializer(many=True)
    unknown_items = ImportUnknownItemSerializer(
        many=True,
        help_text=_(
            "Noms d'articles lus comme aucun article (item_unknown) ou comme plusieurs "
            "(item_ambiguous) : enregistrez l'article de chacun par POST /api/v1/item-aliases/, "
            "puis envoyez de nouveau le fichier."
        ),
    )


class ProductionImportView(APIView):
    """Import a relay's production spreadsheet: first with dry_run (the default) to see what
    would be created, then with dry_run=false. Any bad row refuses the whole file."""

    permission = "makers.import_reports"  # relay staff; anonymous callers get a 401
    parser_classes = [MultiPartParser, FormParser]
    throttle_scope = "import"  # settings.THROTTLE_RATES: each call parses up to 5 MB

    @extend_schema(
        operation_id="production_reports_import",
        summary="Import a production spreadsheet (CSV or XLSX)",
        request={"multipart/form-data": ProductionImportInputSerializer},
        responses={
            200: OpenApiResponse(ImportPlanSerializer, description="dry_run: what would happen"),
            201: OpenApiResponse(ImportPlanSerializer, description="imported"),
            400: OpenApiResponse(
                AnyOf(
                    component_name="ImportRefused",
                    serializers=[ImportRejectedSerializer, FieldErrorsSerializer, ErrorSerializer],
                    resource_type_field_name=None,
                ),
                description=(
                    "bad rows or unreadable file (code `import_rejected`, `detail`, and "
                    "`errors` with each line's own code), no file or a bad `dry_run` (each "
                    "field named), or a body that is not a form (`detail`); nothing imported"
                ),
                examples=[
                    OpenApiExample(
                        "bad row",
                        value={
                            "code": "import_rejected",
                            "detail": "1 ligne est à corriger : rien n'a été importé.",
                            "field": None,
                            "errors": [
                                {
                                    "line": 3,
                                    "column": "Quantité",
                                    "code": "quantity_not_positive",
                                    "message": "Quantité négative ou nulle : « -5 ».",
                                }
                            ],
                            "unknown_items": [],
                        },
                    )
                ],
            ),
            401: OpenApiResponse(description="not authenticated"),
            **error_responses(
                403,
                409,
                about={
                    403: "not relay staff",
                    409: "a simultaneous import of the same rows won "
                    "(`import_conflict`); nothing imported",
                },
            ),
        },
        tags=["production-reports"],
    )
    def post(self, request):
        given = ProductionImportInputSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        upload = given.validated_data["file"]
        # Before reading: a huge upload is refused without loading it in memory.
        importing.check_size(upload.size)
        service = (
            importing.production_import_preview
            if given.validated_data["dry_run"]
            else importing.production_import_apply
        )
        options = importing.ImportOptions(
            **{
                name: given.validated_data.get(name)
                for name in ("date_order", "decimal_mark", "other_departments")
            }
        )
        plan = service(
            content=upload.read(),
            filename=upload.name,
            by=request.user,
            now=timezone.now(),
            options=options,
        )
        return Response(
            ImportPlanSerializer(plan.as_dict()).data,
            status=status.HTTP_201_CREATED if plan.imported else status.HTTP_200_OK,
        )
