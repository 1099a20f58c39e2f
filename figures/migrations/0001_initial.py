"""The figures' models leave `makers` for this app: their tables and rows stay where they are.

State only: the tables keep their names (`Meta.db_table = "makers_…"`), and the content types
of the five models are relabelled from `makers` to `figures`, so permissions and anything
pointing at them keep their ids. `makers.0011_figures_moved_out` then forgets them.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from tilab.migration_ops import content_types_move

MODELS = ["deliveredtotal", "dirtybucket", "productionexport", "productiontotal", "totaldelta"]


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("makers", "0010_delivered_totals"),
        ("tilab", "0003_decision_append_only"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='DeliveredTotal',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('quantity', models.BigIntegerField(default=0, verbose_name='quantité reçue')),
                        ('delivery_count', models.IntegerField(default=0, verbose_name='livraisons')),
                        ('updated_at', models.DateTimeField()),
                        ('department', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tilab.department')),
                        ('item_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='makers.itemtype')),
                    ],
                    options={
                        'verbose_name': 'total livré',
                        'verbose_name_plural': 'totaux livrés',
                        'db_table': 'makers_deliveredtotal',
                        'constraints': [models.UniqueConstraint(fields=('department', 'item_type'), name='delivered_total_unique')],
                    },
                ),
                migrations.CreateModel(
                    name='DirtyBucket',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('org_kind', models.CharField(choices=[('independent', 'Makers indépendants'), ('associative_fablab', 'FabLabs associatifs'), ('institutional_fablab', 'FabLabs institutionnels'), ('sme', 'PME'), ('collective', 'Collectifs')], max_length=30)),
                        ('week_start', models.DateField()),
                        ('marked_at', models.DateTimeField()),
                        ('needs_full', models.BooleanField(default=False)),
                        ('department', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tilab.department')),
                        ('item_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='makers.itemtype')),
                    ],
                    options={
                        'db_table': 'makers_dirtybucket',
                        'constraints': [models.UniqueConstraint(fields=('department', 'item_type', 'org_kind', 'week_start'), name='dirty_bucket_unique')],
                    },
                ),
                migrations.CreateModel(
                    name='ProductionExport',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('requested_at', models.DateTimeField(verbose_name='demandé le')),
                        ('format', models.CharField(choices=[('csv', 'CSV (tableur, séparateur « ; »)'), ('xlsx', 'Excel (.xlsx)')], max_length=10, verbose_name='format')),
                        ('filters', models.JSONField(blank=True, default=dict, verbose_name='filtres')),
                        ('language', models.CharField(default='fr', max_length=10, verbose_name='langue')),
                        ('status', models.CharField(choices=[('pending', 'en attente'), ('running', 'en préparation'), ('ready', 'prêt'), ('failed', 'échec')], default='pending', max_length=20, verbose_name='état')),
                        ('row_count', models.PositiveIntegerField(default=0, verbose_name='lignes')),
                        ('queued_at', models.DateTimeField(blank=True, null=True, verbose_name='confié au serveur de tâches le')),
                        ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='commencé le')),
                        ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='terminé le')),
                        ('filename', models.CharField(blank=True, max_length=100, verbose_name='fichier')),
                        ('content', models.BinaryField(blank=True, null=True, verbose_name='contenu')),
                        ('error', models.TextField(blank=True, verbose_name="motif de l'échec")),
                        ('requested_by', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='production_exports', to=settings.AUTH_USER_MODEL, verbose_name='demandé par')),
                    ],
                    options={
                        'verbose_name': 'export de déclarations',
                        'verbose_name_plural': 'exports de déclarations',
                        'db_table': 'makers_productionexport',
                        'indexes': [models.Index(fields=['requested_by', '-requested_at'], name='export_of_user')],
                        'constraints': [models.CheckConstraint(condition=models.Q(('format__in', ['csv', 'xlsx'])), name='export_format_known'), models.CheckConstraint(condition=models.Q(('status__in', ['pending', 'running', 'ready', 'failed'])), name='export_status_known'), models.CheckConstraint(condition=models.Q(models.Q(('content__isnull', False), ('finished_at__isnull', False), ('status', 'ready')), models.Q(models.Q(('status', 'ready'), _negated=True), ('content__isnull', True)), _connector='OR'), name='export_ready_has_content'), models.CheckConstraint(condition=models.Q(models.Q(('status', 'failed'), _negated=True), models.Q(('error', ''), _negated=True), _connector='OR'), name='export_failure_has_reason'), models.CheckConstraint(condition=models.Q(models.Q(('status', 'running'), _negated=True), ('started_at__isnull', False), _connector='OR'), name='export_running_has_start')],
                    },
                ),
                migrations.CreateModel(
                    name='ProductionTotal',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('org_kind', models.CharField(choices=[('independent', 'Makers indépendants'), ('associative_fablab', 'FabLabs associatifs'), ('institutional_fablab', 'FabLabs institutionnels'), ('sme', 'PME'), ('collective', 'Collectifs')], max_length=30, verbose_name='type de producteur')),
                        ('week_start', models.DateField(help_text='Le lundi de la semaine ISO.', verbose_name='semaine du')),
                        ('quantity', models.BigIntegerField(verbose_name='quantité')),
                        ('report_count', models.IntegerField(verbose_name='déclarations')),
                        ('maker_count', models.IntegerField(verbose_name='makers distincts')),
                        ('material_cost_cents', models.BigIntegerField(verbose_name='coût matière (centimes)')),
                        ('computed_at', models.DateTimeField(verbose_name='calculé le')),
                        ('department', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='tilab.department', verbose_name='département')),
                        ('item_type', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='makers.itemtype', verbose_name='article')),
                    ],
                    options={
                        'verbose_name': 'total de production',
                        'verbose_name_plural': 'totaux de production',
                        'db_table': 'makers_productiontotal',
                        'indexes': [models.Index(fields=['week_start'], name='production_total_week')],
                        'constraints': [models.UniqueConstraint(fields=('department', 'item_type', 'org_kind', 'week_start'), name='production_total_bucket')],
                    },
                ),
                migrations.CreateModel(
                    name='TotalDelta',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('org_kind', models.CharField(choices=[('independent', 'Makers indépendants'), ('associative_fablab', 'FabLabs associatifs'), ('institutional_fablab', 'FabLabs institutionnels'), ('sme', 'PME'), ('collective', 'Collectifs')], max_length=30)),
                        ('week_start', models.DateField()),
                        ('d_quantity', models.BigIntegerField()),
                        ('d_reports', models.IntegerField()),
                        ('d_makers', models.SmallIntegerField()),
                        ('d_cost_cents', models.BigIntegerField()),
                        ('department', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='tilab.department')),
                        ('item_type', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='makers.itemtype')),
                        ('maker', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='makers.maker')),
                    ],
                    options={
                        'db_table': 'makers_totaldelta',
                        'indexes': [models.Index(fields=['department', 'item_type', 'org_kind', 'week_start'], name='total_delta_bucket')],
                    },
                ),
            ],
            database_operations=[],
        ),
        content_types_move(from_app="makers", to_app="figures", models=MODELS),
    ]
