"""Helpers for the status tests: spreadsheets in memory, a staff user, an app with staff configured."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select

from tests.support.helpers import ChatUser, make_app, pg_schema

HEADER = ["申报编号", "姓名", "身份证后四位", "单位", "申报级别", "状态", "状态时间", "备注"]
STAFF_ID = "900"


def row(number: str, name: str = "张三明", tail: str = "123X", unit: str = "青岛示例科技有限公司",
        level: str = "中级", state: str = "评委会办事机构审核", at: str = "2024-07-01 09:00", note: str = "") -> list[str]:
    return [number, name, tail, unit, level, state, at, note]


def xlsx_bytes(rows: list[list], header: list[str] | None = None) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(header or HEADER)
    for r in rows:
        ws.append(r)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def csv_bytes(rows: list[list], header: list[str] | None = None, encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    return out.getvalue().encode(encoding)


async def count(app, model, *where) -> int:  # noqa: ANN001
    async with app.db.session() as s:
        return (await s.execute(select(func.count()).select_from(model).where(*where))).scalar_one()


async def rows_of(app, model, *where, order=None) -> list:  # noqa: ANN001
    async with app.db.session() as s:
        query = select(model).where(*where)
        if order is not None:
            query = query.order_by(order)
        return list((await s.execute(query)).scalars())


@pytest.fixture
async def sapp(backend, tmp_path, clock):
    """The bot with user test:900 configured as staff, on each backend."""
    settings = {"staff_ids": [f"test:{STAFF_ID}"]}
    if backend == "postgres":
        async with pg_schema() as schema:
            bot_app = await make_app(backend, tmp_path, clock=clock, schema=schema, **settings)
            try:
                yield bot_app
            finally:
                await bot_app.close()
    else:
        bot_app = await make_app(backend, tmp_path, clock=clock, **settings)
        try:
            yield bot_app
        finally:
            await bot_app.close()


@pytest.fixture
def staff(sapp) -> ChatUser:
    return ChatUser(sapp, user_id=STAFF_ID)


async def send_file(user: ChatUser, file_name: str, content: bytes | None, caption: str = ""):  # noqa: ANN201
    from bot.core.messages import Attachment

    attachment = Attachment(file_name=file_name, content=content, size=len(content or b""))
    return await user.send({"kind": "document", "text": caption, "attachment": attachment})
