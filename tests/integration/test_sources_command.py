"""/sources in a chat: every document the registry knows, with what is missing and how sure it is."""

from __future__ import annotations

from bot.paths import PROJECT_ROOT
from bot.reference.documents import load_documents
from tests.support.helpers import ChatUser


async def test_sources_command_lists_every_document(sqlite_app):
    user = ChatUser(sqlite_app)
    replies = await user.say("/sources")
    text = "\n".join(r.text for r in replies)
    documents = load_documents(PROJECT_ROOT)
    for d in documents.values():
        assert d.name in text and d.known in text
    assert "缺少：原文和文号" in text and "可信度中等" in text
    assert ("sources", "commands.sources") in [c for f in sqlite_app.conversation.features for c in f.bot_commands()]

