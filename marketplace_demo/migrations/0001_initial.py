import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Item",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("catalogue", models.CharField(db_index=True, max_length=20)),
                ("slug", models.SlugField()),
                ("title", models.CharField(max_length=100)),
                ("summary", models.CharField(max_length=300)),
            ],
            options={"ordering": ["title"]},
        ),
        migrations.CreateModel(
            name="SeenLogoutToken",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("jti", models.CharField(max_length=64, unique=True)),
                ("seen_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.CreateModel(
            name="SignedInSession",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("session_key", models.CharField(max_length=40, unique=True)),
                ("sid", models.CharField(db_index=True, max_length=64)),
                ("sub", models.CharField(db_index=True, max_length=100)),
                ("created_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
        ),
        migrations.CreateModel(
            name="Installation",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("sub", models.CharField(db_index=True, max_length=100)),
                ("installed_at", models.DateTimeField(default=django.utils.timezone.now)),
                ("item", models.ForeignKey(on_delete=models.deletion.CASCADE, to="marketplace_demo.item")),
            ],
        ),
        migrations.AddConstraint(
            model_name="item",
            constraint=models.UniqueConstraint(fields=("catalogue", "slug"), name="unique_item_per_catalogue"),
        ),
        migrations.AddConstraint(
            model_name="installation",
            constraint=models.UniqueConstraint(fields=("sub", "item"), name="one_installation_per_user"),
        ),
    ]
