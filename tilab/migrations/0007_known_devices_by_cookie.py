"""Known devices: by a device cookie and by browser family (no version), instead of the raw
user agent; the browsers known before are kept, their family read from their user agent."""

from django.db import migrations, models


def families_read(apps, schema_editor):
    # The rule of the time (tilab.devices), applied to rows that only ever held a user agent.
    from tilab.devices import browser_family

    KnownDevice = apps.get_model("tilab", "KnownDevice")
    for device in KnownDevice.objects.all().iterator(chunk_size=500):
        device.family = browser_family(device.user_agent)
        device.save(update_fields=["family"])


class Migration(migrations.Migration):
    dependencies = [
        ("tilab", "0006_notices_preferences_and_devices"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="knowndevice", name="known_device_once"),
        migrations.RemoveField(model_name="knowndevice", name="fingerprint"),
        migrations.AddField(
            model_name="knowndevice",
            name="device_key",
            field=models.CharField(
                blank=True, default="", max_length=64, verbose_name="clé de l'appareil"
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="knowndevice",
            name="family",
            field=models.CharField(
                default="?", max_length=80, verbose_name="famille de navigateur"
            ),
            preserve_default=False,
        ),
        migrations.RunPython(families_read, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="knowndevice",
            constraint=models.UniqueConstraint(
                condition=models.Q(("device_key", ""), _negated=True),
                fields=("user", "device_key"),
                name="known_device_once",
            ),
        ),
        migrations.AddIndex(
            model_name="knowndevice",
            index=models.Index(fields=["user", "family"], name="known_device_family"),
        ),
    ]
