"""The daily rows' histograms packed into one column each (368 bucket columns
gone).

The table is made again rather than altered: dropping 368 columns one by one
would copy the table 368 times on SQLite. Its rows are deleted with it; the
post-migrate fill (``reports.apps.fill_daily_rollup``) writes them again from
the tickets' figures, as after ``0008``.
"""

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('reports', '0009_figures_open_by_day'),
    ]

    operations = [
        migrations.DeleteModel(name='DailyFigures'),
        migrations.CreateModel(
            name='DailyFigures',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('dimension', models.CharField(max_length=12)),
                ('team', models.IntegerField(default=0)),
                ('key', models.CharField(blank=True, default='', max_length=20)),
                ('created', models.IntegerField(default=0)),
                ('first_responses', models.IntegerField(default=0)),
                ('first_response_seconds', models.FloatField(default=0.0)),
                ('resolved', models.IntegerField(default=0)),
                ('resolution_seconds', models.FloatField(default=0.0)),
                ('sla_missed', models.IntegerField(default=0)),
                ('reopened', models.IntegerField(default=0)),
                ('transfers', models.IntegerField(default=0)),
                ('first_response_histogram', models.TextField(null=True)),
                ('first_response_business_histogram', models.TextField(null=True)),
                ('resolution_histogram', models.TextField(null=True)),
                ('resolution_business_histogram', models.TextField(null=True)),
            ],
            options={
                'indexes': [models.Index(fields=['dimension', 'day'], name='daily_figures_day')],
                'constraints': [models.UniqueConstraint(fields=('dimension', 'team', 'day', 'key'), name='daily_figures_cell')],
            },
        ),
    ]
