"""Telegram documents through the whole conversation: only staff members' files are downloaded."""

from __future__ import annotations

from bot.channels.telegram_common import Failure, process_update
from tests.support.helpers import make_app
from tests.unit.channels.test_telegram_common import message_update


async def test_documents_are_downloaded_only_for_staff(tmp_path):
    """Five non-staff users sending a file cost no download; a staff member's file is fetched."""
    app = await make_app("sqlite", tmp_path, staff_ids=["900"])
    fetched, performed = [], []

    async def fetch(file_id):
        fetched.append(file_id)
        return b"a,b\n1,2\n"

    async def perform(action):
        performed.append(action)

    try:
        for sender in range(1, 6):
            update = message_update(document={"file_id": f"F{sender}", "file_name": "list.xlsx", "file_size": 9_000_000})
            update["message"]["from"]["id"], update["update_id"] = sender, 1000 + sender
            await process_update(app.conversation, update, perform, lambda e: Failure("other"), fetch)
        assert fetched == []
        assert len(performed) == 5 and all("工作人员" in a.text for a in performed)
        staff = message_update(document={"file_id": "S", "file_name": "list.csv", "file_size": 8})
        staff["message"]["from"]["id"], staff["update_id"] = 900, 2000
        await process_update(app.conversation, staff, perform, lambda e: Failure("other"), fetch)
        assert fetched == ["S"]
    finally:
        await app.close()
