from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_kassenzeichen_validators"),
    ]

    operations = [
        migrations.AddField(
            model_name="municipality",
            name="config_version",
            field=models.PositiveBigIntegerField(default=0, editable=False),
        ),
    ]
