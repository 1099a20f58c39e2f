"""Operations for migrations that move a model from one app to another and keep its table.

A model that changes app keeps its rows (its `Meta.db_table` names the old table) and must keep
its content type too: decision records and permissions point at the content type's id, so the
existing row is relabelled rather than a new one created beside it.
"""

from django.db import migrations


def content_types_move(*, from_app: str, to_app: str, models: list[str]):
    """A reversible operation relabelling the content types of `models` (lower-case names)."""

    def relabel(source, target):
        def run(apps, schema_editor):
            content_type = apps.get_model("contenttypes", "ContentType")
            for model in models:
                moved = content_type.objects.filter(app_label=source, model=model)
                if moved.exists():
                    # One made under the new label already (an earlier, interrupted upgrade)
                    # holds nothing yet: the relabelled one, which rows point at, replaces it.
                    content_type.objects.filter(app_label=target, model=model).delete()
                    moved.update(app_label=target)

        return run

    return migrations.RunPython(relabel(from_app, to_app), relabel(to_app, from_app))
