"""Count distinct producers per total: the small-count rule of the public figures counts them.

Existing totals get their count from the validated reports; journal rows still waiting get
no producer change of their own, so their buckets are marked for a full recompute.
"""

from django.db import migrations, models
from django.db.models import Count, DateField, Value
from django.db.models.functions import Coalesce, TruncWeek


def count_producers(apps, schema_editor):
    ProductionReport = apps.get_model("makers", "ProductionReport")
    ProductionTotal = apps.get_model("figures", "ProductionTotal")
    DirtyBucket = apps.get_model("figures", "DirtyBucket")
    counts = {
        (department, item_type, kind, week.date() if hasattr(week, "date") else week): n
        for department, item_type, kind, week, n in ProductionReport.objects.filter(
            status="validated"
        )
        .annotate(
            week=TruncWeek("produced_on", output_field=DateField()),
            kind=Coalesce("organisation__kind", Value("independent")),
        )
        .values_list("department_id", "item_type_id", "kind", "week")
        .annotate(producers=Count(Coalesce("organisation_id", "maker_id"), distinct=True))
        .order_by()
    }
    totals = list(ProductionTotal.objects.all())
    for total in totals:
        key = (total.department_id, total.item_type_id, total.org_kind, total.week_start)
        # A total without reports left is wrong already: the nightly rebuild removes it.
        total.producer_count = counts.get(key, 0)
    ProductionTotal.objects.bulk_update(totals, ["producer_count"], batch_size=1000)
    DirtyBucket.objects.update(needs_full=True)


class Migration(migrations.Migration):
    dependencies = [
        ("figures", "0001_initial"),
        ("makers", "0016_item_alias"),
    ]

    operations = [
        migrations.AddField(
            model_name="productiontotal",
            name="producer_count",
            field=models.IntegerField(default=0, verbose_name="producteurs distincts"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="totaldelta",
            name="d_producers",
            field=models.SmallIntegerField(default=0),
        ),
        migrations.RunPython(count_producers, migrations.RunPython.noop),
    ]
