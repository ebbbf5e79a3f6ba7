# An organisation's mail domains: a table of their own (several per
# organisation, each at most one organisation's) instead of one column.

import django.db.models.deletion
from django.db import migrations, models


def domains_from_column(apps, schema_editor):
    """Each organisation's ``email_domain`` becomes its first domain. Two
    organisations with the same domain: the first by name keeps it (the one
    ``verify_email`` picked until now)."""
    Organisation = apps.get_model("accounts", "Organisation")
    OrganisationDomain = apps.get_model("accounts", "OrganisationDomain")
    seen = set()
    rows = []
    for pk, domain in (
        Organisation.objects.exclude(email_domain="")
        .order_by("name", "pk")
        .values_list("pk", "email_domain")
    ):
        domain = domain.strip().lower().removeprefix("@").rstrip(".")
        if domain and domain not in seen:
            seen.add(domain)
            rows.append(OrganisationDomain(organisation_id=pk, domain=domain))
    OrganisationDomain.objects.bulk_create(rows)


def column_from_domains(apps, schema_editor):
    """Back: the first domain of each, by name."""
    Organisation = apps.get_model("accounts", "Organisation")
    OrganisationDomain = apps.get_model("accounts", "OrganisationDomain")
    first = {}
    for org_id, domain in OrganisationDomain.objects.order_by("domain").values_list(
        "organisation_id", "domain"
    ):
        first.setdefault(org_id, domain)
    for org_id, domain in first.items():
        Organisation.objects.filter(pk=org_id).update(email_domain=domain)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0009_customer_lists_in_order"),
    ]

    operations = [
        migrations.CreateModel(
            name="OrganisationDomain",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "domain",
                    models.CharField(
                        help_text="Verified addresses at this domain join the organisation, e.g. example.com.",
                        max_length=200,
                        unique=True,
                        verbose_name="mail domain",
                    ),
                ),
                (
                    "subdomains",
                    models.BooleanField(
                        default=False,
                        help_text="Addresses at any subdomain (e.g. mail.example.com) join it too.",
                        verbose_name="and its subdomains",
                    ),
                ),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                (
                    "organisation",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="domains",
                        to="accounts.organisation",
                        verbose_name="organisation",
                    ),
                ),
            ],
            options={
                "verbose_name": "mail domain",
                "ordering": ["domain"],
                "indexes": [models.Index(fields=["organisation", "domain"], name="org_domains_in_order")],
            },
        ),
        migrations.RunPython(domains_from_column, column_from_domains),
        migrations.RemoveField(
            model_name="organisation",
            name="email_domain",
        ),
    ]
