"""The console shows a status time imported as a day alone as that day (detail page, history,
export), as the chat's status card does; a time of day given stays."""

from __future__ import annotations

import csv
import io

from bot.status.importer import Importer
from tests.support.console_fixtures import ConsoleBrowser
from tests.support.status_helpers import csv_bytes, row


async def test_a_day_without_a_time_is_shown_as_the_day(console_app, console_server):
    importer = Importer(console_app.services, actor="test", actor_user_id=None)
    rows = [row("SD2024-000001", state="审核受理", at="2024年6月11日"),
            row("SD2024-000002", tail="456X", state="审核受理", at="2024/6/12 9:30")]
    async with console_app.db.session() as session:
        assert (await importer.run(session, "s.csv", csv_bytes(rows))).applied
    async with ConsoleBrowser(console_server) as browser:
        await browser.sign_in("clerk")
        day = (await browser.get("/applications/SD2024-000001")).body_text
        assert '<dd id="state-at">2024-06-11</dd>' in day and "<tr><td>2024-06-11</td>" in day
        assert "2024-06-11 00:00" not in day
        timed = (await browser.get("/applications/SD2024-000002")).body_text
        assert '<dd id="state-at">2024-06-12 09:30</dd>' in timed and "<tr><td>2024-06-12 09:30</td>" in timed
        export = await browser.client.get("/applications/export.csv")
        table = list(csv.reader(io.StringIO((await export.read()).decode("utf-8-sig"))))
    state_at = {line[0]: line[5] for line in table[1:]}
    assert state_at == {"SD2024-000001": "2024-06-11", "SD2024-000002": "2024-06-12 09:30"}
