"""Pages of the item aliases: mapping an import's unknown item names to the catalogue (relay
staff, from the preview), and the network's list of aliases, which facilitators edit."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tilab.errors import Refusal
from tilab.forms import RefusalsMixin
from tilab.permissions import page_permission

from . import selectors, services
from .models import ProductionImport

# At most this many names mapped in one submission (a file rarely has more than a handful).
MAPPINGS_MAX = 100


def _item_choice(**kwargs) -> forms.ModelChoiceField:
    field = forms.ModelChoiceField(
        queryset=selectors.item_types_active(), to_field_name="slug", **kwargs
    )
    field.label_from_instance = lambda item: item.name
    return field


class ItemAliasesForm(forms.Form):
    """One choice per item name of a file that reads as no item (ImportRejected.unknown_items):
    the name (hidden, as written) and the item it means, or nothing to leave it unmapped."""

    def __init__(self, *args, names: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        for index, text in enumerate(names[:MAPPINGS_MAX]):
            self.fields[f"text_{index}"] = forms.CharField(
                initial=text, widget=forms.HiddenInput, max_length=200
            )
            self.fields[f"item_{index}"] = _item_choice(
                label=text, required=False, empty_label=gettext_lazy("— ne rien enregistrer —")
            )

    @classmethod
    def posted(cls, data) -> "ItemAliasesForm":
        count = sum(1 for index in range(MAPPINGS_MAX) if f"text_{index}" in data)
        return cls(data, names=[""] * count)

    def pairs(self) -> list[tuple[forms.BoundField, forms.BoundField]]:
        count = len(self.fields) // 2
        return [(self[f"text_{i}"], self[f"item_{i}"]) for i in range(count)]

    def mappings(self) -> list[tuple]:
        """(text, item) of each name given an item."""
        data = self.cleaned_data
        count = len(self.fields) // 2
        return [
            (data[f"text_{i}"], data[f"item_{i}"])
            for i in range(count)
            if data.get(f"item_{i}") is not None and data.get(f"text_{i}")
        ]


def unknown_items_context(refusal) -> dict:
    """What the preview's errors branch needs to offer the file's unknown item names for
    mapping (templates/makers/_import_items.html)."""
    unknown = refusal.unknown_items
    if not unknown:
        return {}
    form = ItemAliasesForm(names=[entry["text"] for entry in unknown])
    return {
        "unknown_items": [
            {**entry, "text_field": text, "item_field": item}
            for entry, (text, item) in zip(unknown, form.pairs(), strict=False)
        ],
    }


@page_permission("makers.import_reports", methods=["POST"])
def import_item_alias(request, pk):
    """Record the items chosen for a file's unknown names, then read its preview again."""
    batch = get_object_or_404(ProductionImport.objects.filter(created_by=request.user), pk=pk)
    form = ItemAliasesForm.posted(request.POST)
    mappings = form.mappings() if form.is_valid() else []
    if not mappings:
        messages.info(request, _("Aucun article choisi : rien n'a été enregistré."))
        return redirect("makers:import_preview", pk=batch.pk)
    recorded = 0
    now = timezone.now()
    for text, item_type in mappings:
        try:
            services.item_alias_create(text=text, item_type=item_type, by=request.user, now=now)
        except Refusal as refusal:  # taken meanwhile, or emptied: the others still count
            messages.error(request, refusal.message)
        else:
            recorded += 1
    if recorded:
        messages.success(
            request,
            ngettext(
                "%(count)s correspondance enregistrée pour tout le réseau : le fichier est relu.",
                "%(count)s correspondances enregistrées pour tout le réseau : le fichier est relu.",
                recorded,
            )
            % {"count": recorded},
        )
    return redirect("makers:import_preview", pk=batch.pk)


class ItemAliasCreateForm(RefusalsMixin, forms.Form):
    text = forms.CharField(label=gettext_lazy("Nom lu dans les tableurs"), max_length=200)
    item_type = _item_choice(label=gettext_lazy("Article du catalogue"))


class ItemAliasChangeForm(RefusalsMixin, forms.Form):
    item_type = _item_choice(label=gettext_lazy("Lu comme"))


@page_permission("makers.view_item_aliases", methods=["GET", "POST"])
def item_aliases(request):
    """Every alias of the network, who recorded it and when; whoever imports adds
    one here too (relay staff mostly from an import's preview)."""
    may_create = request.user.has_perm("makers.create_item_aliases")
    form = ItemAliasCreateForm(request.POST or None) if may_create else None
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            try:
                alias = services.item_alias_create(
                    **form.cleaned_data, by=request.user, now=timezone.now()
                )
            except Refusal as refusal:
                form.add_refusal(refusal)
            else:
                messages.success(
                    request,
                    _("« %(text)s » sera lu comme « %(item)s ».")
                    % {"text": alias.text, "item": alias.item_type.name},
                )
                return redirect("makers:item_aliases")
    return render(
        request,
        "makers/item_aliases.html",
        {
            "aliases": selectors.item_aliases_listed(),
            "form": form,
            "may_change": request.user.has_perm("makers.change_item_aliases"),
        },
    )


@page_permission("makers.change_item_aliases", methods=["GET", "POST"])
def item_alias_edit(request, pk):
    """Read an alias as another item, or delete it (facilitators)."""
    alias = get_object_or_404(selectors.item_aliases_listed(), pk=pk)
    form = ItemAliasChangeForm(request.POST or None, initial={"item_type": alias.item_type})
    if request.method == "POST":
        now = timezone.now()
        if request.POST.get("action") == "delete":
            services.item_alias_delete(alias=alias, by=request.user, now=now)
            messages.success(
                request,
                _("« %(text)s » est oublié : les prochains imports demanderont de nouveau.")
                % {"text": alias.text},
            )
            return redirect("makers:item_aliases")
        if form.is_valid():
            try:
                services.item_alias_update(
                    alias=alias, by=request.user, now=now, **form.cleaned_data
                )
            except Refusal as refusal:
                form.add_refusal(refusal)
            else:
                messages.success(
                    request,
                    _("« %(text)s » sera lu comme « %(item)s ».")
                    % {"text": alias.text, "item": form.cleaned_data["item_type"].name},
                )
                return redirect("makers:item_aliases")
    return render(request, "makers/item_alias_edit.html", {"alias": alias, "form": form})
