# The index's tokens again for every search row, now with `search.RUN_BREAK` between two runs
# of letters and digits, so that a term is no longer found across two words on SQLite
# (「投保、保薪」 matched 「投保薪」). The SQLite triggers keep the FTS5 table in step.

from django.db import migrations

from steward.catalogue.search import tokens

BATCH = 2000


def retokenise(apps, schema_editor):
    Row = apps.get_model("catalogue", "SearchRow")
    rows = Row.objects.only("entry_id", "search_text").order_by("entry_id")
    batch = []
    for row in rows.iterator(chunk_size=BATCH):
        row.search_tokens = tokens(row.search_text)
        batch.append(row)
        if len(batch) == BATCH:
            Row.objects.bulk_update(batch, ["search_tokens"])
            batch = []
    Row.objects.bulk_update(batch, ["search_tokens"])


class Migration(migrations.Migration):

    dependencies = [
        ("catalogue", "0003_search_version"),
    ]

    operations = [
        migrations.RunPython(retokenise, migrations.RunPython.noop),
    ]
