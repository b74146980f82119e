"""``python -m bot dialogs …``: look at dialog definitions (graph)."""

from __future__ import annotations

from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    dialogs_app = typer.Typer(help="Dialog definitions (dialogs/*.yaml).", no_args_is_help=True)
    app.add_typer(dialogs_app, name="dialogs")

    @dialogs_app.command("graph")
    def graph(name: Annotated[str, typer.Argument(help="Dialog name, e.g. eligibility.")]) -> None:
        """Print the dialog as a Mermaid state diagram."""
        from bot.cli_common import fail
        from bot.content.loader import ContentError
        from bot.dialogs.graph import mermaid
        from bot.dialogs.loader import dialog_files, load_dialog
        from bot.paths import content_root

        root = content_root()
        names = [p.stem for p in dialog_files(root / "dialogs")]
        if name not in names:
            fail(f"no dialog {name!r}; known: {', '.join(names) or '(none)'}")
        try:
            dialog = load_dialog(root, name)
        except ContentError as exc:
            fail(f"dialog {name!r} is invalid (run `python -m bot check`):\n{exc}")
        typer.echo(mermaid(dialog), nl=False)

    @dialogs_app.command("list")
    def list_dialogs() -> None:
        """List the dialogs and their definition versions."""
        from bot.dialogs.loader import definition_version, dialog_files
        from bot.paths import content_root

        for path in dialog_files(content_root() / "dialogs"):
            typer.echo(f"{path.stem}\t{definition_version(path)}")
