"""Every URL of the platform, composed from the apps' URLs and APIs. Paths named in DESIGN.md §5
are stable: others rely on them."""

from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.reverse import reverse
from rest_framework.routers import APIRootView, DefaultRouter

from accounts.api import PersonalDataView
from audit.api import DecisionViewSet, LedgerViewSet
from directory.api import OrganisationViewSet
from figures.api import FiguresViewSet
from makers.api import ItemAliasViewSet, ItemTypeViewSet, MakerViewSet, ProductionReportViewSet
from makers.import_api import ProductionImportView
from needs.api import DeliveryViewSet, NeedThreadViewSet, NeedViewSet, PledgeViewSet
from recognition.api import AttestationViewSet, CooperationLinkViewSet
from subsidies.api import (
    AllocationViewSet,
    BankChangeViewSet,
    PaymentBatchViewSet,
    ProgrammeViewSet,
    RedistributionViewSet,
    RelayViewSet,
)
from tilab import views as core
from tilab.api import DepartmentViewSet, MeView, NoSuchEndpoint, NoticePreferencesView
from tilab.health import ReadinessView
from tilab.permissions import PUBLIC
from webhooks.api import WebhookDeliveryViewSet, WebhookEndpointViewSet
from workshops.api import RegistrationViewSet, WorkshopViewSet

from . import views


class PublicAPIRoot(APIRootView):
    """The entry point of the API: lists every collection. Public."""

    permission = PUBLIC

    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response.data["me"] = reverse("v1:me", request=request)
        return response


router = DefaultRouter()
router.APIRootView = PublicAPIRoot
router.register("departments", DepartmentViewSet, basename="department")
router.register("item-types", ItemTypeViewSet, basename="item-type")
router.register("item-aliases", ItemAliasViewSet, basename="item-alias")
router.register("relays", RelayViewSet, basename="relay")
router.register("production-reports", ProductionReportViewSet, basename="production-report")
router.register("makers", MakerViewSet, basename="maker")
router.register("organisations", OrganisationViewSet, basename="organisation")
router.register("figures", FiguresViewSet, basename="figures")
router.register("programmes", ProgrammeViewSet, basename="programme")
router.register("allocations", AllocationViewSet, basename="allocation")
router.register("redistributions", RedistributionViewSet, basename="redistribution")
router.register("payment-batches", PaymentBatchViewSet, basename="payment-batch")
router.register("bank-changes", BankChangeViewSet, basename="bank-change")
router.register("ledger", LedgerViewSet, basename="ledger")
router.register("decisions", DecisionViewSet, basename="decision")
router.register("workshops", WorkshopViewSet, basename="workshop")
router.register("needs", NeedViewSet, basename="need")
router.register("pledges", PledgeViewSet, basename="pledge")
router.register("deliveries", DeliveryViewSet, basename="delivery")
router.register("need-threads", NeedThreadViewSet, basename="need-thread")
router.register("registrations", RegistrationViewSet, basename="registration")
router.register("cooperation-links", CooperationLinkViewSet, basename="cooperation-link")
router.register("attestations", AttestationViewSet, basename="attestation")
router.register("webhooks", WebhookEndpointViewSet, basename="webhook")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")

api_urls = [
    path("me/", MeView.as_view(), name="me"),
    path("me/personal-data/", PersonalDataView.as_view(), name="personal-data"),
    path(
        "me/notification-preferences/",
        NoticePreferencesView.as_view(),
        name="me-notification-preferences",
    ),
    # Before the router: its production-reports/<pk>/ route would otherwise see "import".
    path(
        "production-reports/import/",
        ProductionImportView.as_view(),
        name="production-report-import",
    ),
    *router.urls,
    # Last: any other path under the API answers a JSON 404 (H1, schema fuzzing).
    re_path(r"^[\s\S]*/$", NoSuchEndpoint.as_view()),
]

# The admin signs in through allauth's login: the same limits on wrong passwords, the same
# second factor. Set before admin.site.urls is read below.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", core.healthz, name="healthz"),
    path("health/", ReadinessView.as_view(), name="health"),
    path("accessibilite/", core.accessibility, name="accessibility"),
    path("mentions-legales/", core.legal_notice, name="legal_notice"),
    path("donnees-personnelles/", core.personal_data, name="personal_data"),
    path("plan-du-site/", views.site_map, name="site_map"),
    path("accounts/tokens/", core.personal_tokens, name="personal_tokens"),
    path("accounts/notifications/", core.notice_preferences, name="notice_preferences"),
    path("accounts/session/prolonger/", core.session_extend, name="session_extend"),
    # allauth's pages, listed rather than `allauth.urls`: no legacy redirects, and the only
    # provider, ProConnect, is the project's own (accounts/proconnect).
    path("accounts/", include("allauth.account.urls")),
    path("accounts/2fa/", include("allauth.mfa.urls")),
    path("accounts/3rdparty/", include("allauth.socialaccount.urls")),
    path("accounts/", include("accounts.proconnect.urls")),
    # Django's language switch (django.conf.urls.i18n), which also records a signed-in
    # person's choice.
    path("i18n/setlang/", core.set_language, name="set_language"),
    path("api/v1/", include((api_urls, "api"), namespace="v1")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its script as a file, which the Content-Security-Policy allows.
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="tilab/api_docs.html"
        ),
        name="api-docs",
    ),
    path("", include("makers.urls")),
    path("", include("figures.urls")),
    path("open-data/", include("figures.open_data_urls")),
    path("exports/", include("figures.export_urls")),
    path("workshops/", include("workshops.urls")),
    path("subventions/", include("subsidies.urls")),
    # The auditor's view, beside the money it reads (/subventions/grand-livre/, …/decisions/).
    path("subventions/", include("audit.urls")),
    path("annuaire/", include("directory.urls")),
    path("besoins/", include("needs.urls")),
    path("webhooks/", include("webhooks.urls")),
    path("", include("recognition.urls")),
    path("", include("accounts.urls")),
    path("admin/", admin.site.urls),
]

handler403 = "tilab.views.permission_denied"
