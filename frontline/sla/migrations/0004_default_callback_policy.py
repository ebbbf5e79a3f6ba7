"""A default for callbacks: a call within 5 business minutes (office hours, UTC).

Admins change the calendar and the target in the admin; nothing else gets an
SLA until they add policies.
"""

from django.db import migrations


def create(apps, schema_editor):
    BusinessCalendar = apps.get_model("sla", "BusinessCalendar")
    SlaPolicy = apps.get_model("sla", "SlaPolicy")
    calendar, _ = BusinessCalendar.objects.get_or_create(
        name="Office hours",
        defaults={
            "time_zone": "UTC",
            **{
                day: "09:00-18:00"
                for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
            },
        },
    )
    SlaPolicy.objects.get_or_create(
        name="Callbacks",
        defaults={
            "channel": "callback",
            "calendar": calendar,
            "first_response_minutes": 5,
            "resolution_minutes": 480,
            "warn_percent": 60,
            "raise_priority_on_breach": True,
        },
    )


class Migration(migrations.Migration):
    dependencies = [("sla", "0003_slapolicy_channel")]
    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
