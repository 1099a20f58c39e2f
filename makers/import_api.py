"""API of the spreadsheet import: preview with dry_run, then import, all or nothing. A refused
import answers through the API's one exception handler (tilab/api_errors.py): 400 with every
line in error, 409 when a simultaneous import won."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.fields import empty
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from tilab.schema import CODE_HELP, AnyOf, ErrorSerializer, FieldErrorsSerializer, error_responses

from . import importing


class _BooleanDefaultTrue(serializers.BooleanField):
    # DRF reads a boolean missing from a form as False; a forgotten dry_run must stay a preview.
    default_empty_html = empty


class ProductionImportInputSerializer(serializers.Serializer):
    file = serializers.FileField(
        help_text=_(
            "Tableur CSV (séparateur ; , ou tabulation), Excel (.xlsx, .xls) ou OpenDocument "
            "(.ods), 5 Mo au plus, reconnu à son contenu. Dans un classeur, la première "
            "feuille portant les en-têtes est lue ; les lignes de total sont ignorées."
        )
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
    membership_requests_to_open = serializers.IntegerField()
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


class ImportMembershipRequestSerializer(serializers.Serializer):
    maker = serializers.CharField()
    organisation = serializers.CharField()
    department = serializers.CharField()


class ImportHandedOverSerializer(serializers.Serializer):
    relay = serializers.CharField(help_text=_("Le relais qui recevra ces lignes dans sa file."))
    departments = serializers.ListField(child=serializers.CharField())
    rows = serializers.IntegerField()


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


class ImportSkippedRowSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    reason_code = serializers.ChoiceField(
        choices=["total_label", "total_sum", "total_formula"],
        help_text=_("Pourquoi la ligne est ignorée : un libellé de total, une somme, une formule."),
    )
    reason = serializers.CharField()


class ImportFormulaCellSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    column = serializers.CharField(allow_blank=True)
    cell = serializers.CharField(help_text=_("La référence de la cellule : « E6 »."))
    formula = serializers.CharField()
    value = serializers.CharField(help_text=_("La valeur gardée par le fichier, importée."))


class ImportDoubleCountSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text=_("La ligne du fichier, probable double compte."))
    report_id = serializers.IntegerField(
        allow_null=True, help_text=_("La déclaration déjà enregistrée qu'elle recompte.")
    )
    other_line = serializers.IntegerField(
        allow_null=True, help_text=_("Ou l'autre ligne du même fichier qu'elle recompte.")
    )
    maker = serializers.CharField(allow_null=True)
    organisation = serializers.CharField(allow_null=True)
    quantity = serializers.IntegerField()
    produced_on = serializers.DateField()
    source = serializers.CharField()


class ImportCellSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    column = serializers.CharField()
    value = serializers.CharField()


class ImportConventionSerializer(serializers.Serializer):
    option = serializers.ChoiceField(
        choices=["date_order", "decimal_mark"],
        help_text=_("Le paramètre qui la choisit : date_order ou decimal_mark."),
    )
    value = serializers.CharField(
        help_text=_("La lecture appliquée : day_first, month_first, comma ou point.")
    )
    decided_by = serializers.ChoiceField(
        choices=["file", "choice", "default"],
        help_text=_(
            "file : une valeur du fichier la prouve (evidence) ; choice : votre paramètre ; "
            "default : la lecture française, rien ne la prouve."
        ),
    )
    evidence = ImportCellSerializer(
        allow_null=True, help_text=_("La première cellule qui prouve cette lecture.")
    )
    contrary = ImportCellSerializer(
        allow_null=True,
        help_text=_("La première cellule qui prouve l'autre lecture (ses lignes sont refusées)."),
    )
    ambiguous = serializers.IntegerField(
        help_text=_("Combien de cellules se lisent différemment selon cette convention.")
    )
    example = ImportCellSerializer(allow_null=True, help_text=_("La première de ces cellules."))
    english_signs = serializers.ListField(
        child=serializers.CharField(),
        help_text=_("Ce qui fait penser à un tableur en anglais."),
    )
    asked = serializers.BooleanField(
        help_text=_("Rien ne la prouve et le fichier semble anglais : à choisir avant d'importer.")
    )
    choosable = serializers.BooleanField(
        help_text=_("Le fichier ne la prouve pas : le paramètre du même nom peut la changer.")
    )
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
    membership_requests_to_open = ImportMembershipRequestSerializer(
        many=True,
        help_text=_(
            "Makers nommés avec une structure existante dont ils ne sont pas membres : une "
            "demande d'adhésion est ouverte, que ses responsables décident."
        ),
    )
    handed_over = ImportHandedOverSerializer(
        many=True,
        help_text=_(
            "Lignes de départements que votre relais ne couvre pas, par relais destinataire : "
            "elles vont dans sa file de validation, saisies à votre nom."
        ),
    )
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
    file_format = serializers.ChoiceField(
        choices=["csv", "xlsx", "xls", "ods"], help_text=_("Le format reconnu au contenu.")
    )
    sheet_name = serializers.CharField(
        allow_null=True, help_text=_("La feuille lue (null pour un CSV).")
    )
    header_line = serializers.IntegerField(help_text=_("La ligne des en-têtes lus."))
    skipped_rows = ImportSkippedRowSerializer(
        many=True, help_text=_("Lignes de total ignorées : jamais importées, jamais en erreur.")
    )
    formula_cells = ImportFormulaCellSerializer(
        many=True,
        help_text=_("Cellules calculées par une formule dont la valeur gardée est importée."),
    )
    formula_cells_count = serializers.IntegerField()
    hidden_sheets = serializers.ListField(
        child=serializers.CharField(),
        help_text=_("Feuilles masquées du classeur : jamais lues."),
    )
    double_counts = ImportDoubleCountSerializer(
        many=True,
        help_text=_(
            "Lignes qui recomptent probablement une déclaration déjà là ou une autre ligne "
            "(même maker ou organisation, même article, dates proches, quantité égale ou "
            "contenue) : importées quand même, signalées dans la file de validation."
        ),
    )
    conventions = ImportConventionSerializer(
        many=True,
        help_text=_(
            "Comment les dates et les nombres écrits en texte sont lus (ordre jour/mois, "
            "séparateur décimal), et pourquoi."
        ),
    )
    item_aliases_used = ImportItemReadSerializer(
        many=True,
        help_text=_(
            "Noms d'articles lus autrement qu'au catalogue : par une correspondance du réseau "
            "(/api/v1/item-aliases/) ou par leurs mots."
        ),
    )


class ImportRowErrorSerializer(serializers.Serializer):
    sheet = serializers.CharField(
        allow_null=True,
        help_text=_("La feuille du classeur (null pour un CSV ou pour tout le fichier)."),
    )
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
    """Import a production spreadsheet: first with dry_run (the default) to see what would be
    created, then with dry_run=false. Any bad row refuses the whole file. Each line goes to the
    queue of the relay covering its department; a relay's file with lines of other relays'
    departments needs other_departments=hand_over."""

    # Relay staff, Région staff and facilitators; anonymous callers get a 401.
    permission = "makers.import_reports"
    # The one file upload of the API: multipart only, as the schema says (JSON elsewhere).
    parser_classes = [MultiPartParser]
    throttle_scope = "import"  # settings.THROTTLE_RATES: each call parses up to 5 MB

    @extend_schema(
        operation_id="production_reports_import",
        summary="Import a production spreadsheet (CSV, XLSX, XLS or ODS)",
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
                    "field named); nothing imported"
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
            **error_responses(
                403,
                409,
                about={
                    403: "not relay staff, Région staff or a facilitator",
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
