"""``kb eval --as-of``: the content of an earlier commit, scored with today's code."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.knowledge.as_of import RevisionError, content_as_of
from bot.paths import PROJECT_ROOT

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout.strip()


@pytest.fixture
def history(tmp_path: Path) -> tuple[Path, str]:
    """A repository whose first commit holds an old phrasing file, and whose work tree a newer one."""
    repo = tmp_path / "repo"
    (repo / "knowledge").mkdir(parents=True)
    (repo / "knowledge" / "x.yaml").write_text("old: 1\n", encoding="utf-8")
    (repo / "notes.txt").write_text("not content\n", encoding="utf-8")
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "first")
    first = _git(repo, "rev-parse", "HEAD")
    (repo / "knowledge" / "x.yaml").write_text("new: 2\n", encoding="utf-8")
    (repo / "knowledge" / "matcher.yaml").write_text("settings: now\n", encoding="utf-8")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "second")
    return repo, first


@needs_git
def test_the_content_of_an_earlier_commit_is_the_root_while_the_block_runs(history, monkeypatch) -> None:
    repo, first = history
    monkeypatch.delenv("CONTENT_DIR", raising=False)
    with content_as_of(first, repository=repo) as root:
        assert os.environ["CONTENT_DIR"] == str(root)
        assert (root / "knowledge" / "x.yaml").read_text(encoding="utf-8") == "old: 1\n"
        assert not (root / "notes.txt").exists()  # only the content folders travel back
        # the matcher's settings are what is measured: they stay as they are now
        assert (root / "knowledge" / "matcher.yaml").read_text(encoding="utf-8") == "settings: now\n"
    assert "CONTENT_DIR" not in os.environ
    assert not root.exists()


@needs_git
def test_an_earlier_content_dir_is_restored(history, monkeypatch, tmp_path) -> None:
    repo, first = history
    monkeypatch.setenv("CONTENT_DIR", str(tmp_path / "mine"))
    with content_as_of(first + "~0", repository=repo):
        assert os.environ["CONTENT_DIR"] != str(tmp_path / "mine")
    assert os.environ["CONTENT_DIR"] == str(tmp_path / "mine")


@needs_git
@pytest.mark.parametrize("revision", ["", "--output=/tmp/x", "a b", "HEAD;rm", "x" * 101])
def test_a_malformed_revision_is_refused_before_git_runs(history, revision) -> None:
    repo, _ = history
    with pytest.raises(RevisionError, match="not a revision name"), content_as_of(revision, repository=repo):
        pass


@needs_git
def test_an_unknown_revision_is_a_clear_error(history) -> None:
    repo, _ = history
    with pytest.raises(RevisionError, match="git cannot read"), content_as_of("0" * 40, repository=repo):
        pass


@pytest.mark.skipif(shutil.which("git") is None or not (PROJECT_ROOT / ".git").exists(), reason="needs the project's git history")
def test_kb_eval_as_of_head_gives_what_plain_eval_gives(monkeypatch) -> None:
    from bot.cli import _register_optional_commands, app

    _register_optional_commands()

    if subprocess.run(["git", "-C", str(PROJECT_ROOT), "diff", "--quiet", "HEAD", "--", "knowledge"], check=False).returncode:
        pytest.skip("the work tree's knowledge/ differs from HEAD")
    monkeypatch.delenv("CONTENT_DIR", raising=False)
    runner = CliRunner()
    dev = str(PROJECT_ROOT / "tests" / "data" / "kb_dev" / "dev_levels.yaml")
    plain = runner.invoke(app, ["kb", "eval", dev])
    as_of = runner.invoke(app, ["kb", "eval", "--as-of", "HEAD", dev])
    assert plain.exit_code == 0 and as_of.exit_code == 0
    assert as_of.output == plain.output
    assert "direct right" in plain.output
    bad = runner.invoke(app, ["kb", "eval", "--as-of", "--output=x", dev])
    assert bad.exit_code == 2 and "not a revision name" in bad.output


def test_a_label_naming_an_entry_written_later_is_out_of_scope_at_an_earlier_commit() -> None:
    from bot.knowledge.evaluate import Case, evaluate, labels_as_of
    from bot.knowledge.runtime import load_runtime

    matcher = load_runtime(PROJECT_ROOT).matcher
    cases = [
        Case("评审费多少钱", "fee-amounts", "t", matcher.score("评审费多少钱")),
        # as if the set had been relabelled to an entry this content does not hold yet
        Case("自考本科能评中级吗", "entry-written-later", "t", matcher.score("自考本科能评中级吗")),
        Case("会计中级职称多少钱", None, "t", matcher.score("会计中级职称多少钱")),
    ]
    assert evaluate(matcher, cases).unknown_expect  # read at today's entries, the label is a mistake
    assert labels_as_of(matcher, cases) == 1
    assert [c.expect for c in cases] == ["fee-amounts", None, None]
    figures = evaluate(matcher, cases).figures
    assert figures["in_scope"] == 1 and figures["out_of_scope"] == 2


@pytest.fixture
def declared_history(tmp_path: Path) -> tuple[Path, str]:
    """A first commit whose entries say what they are about the old way (about_skills, skill_words),
    and a work tree whose entries declare subjects and levels and whose word lists name them."""
    import yaml

    repo = tmp_path / "repo"
    entries = repo / "knowledge" / "entries"
    entries.mkdir(parents=True)
    (repo / "knowledge" / "en").mkdir()

    def write(old: bool) -> None:
        first = {"id": "skills-ladder", "question": "技师能评什么" if old else "技师能评哪一级", "answer": "old" if old else "new"}
        first |= {"about_skills": True} if old else {"subject": "skills", "levels": ["intermediate"]}
        merged = {"id": "fee-old" if old else "fee", "question": "评审费", "asks": ["date"] if old else ["fee"]}
        if not old:
            merged["replaces"] = ["fee-old"]
        gone = [{"id": "gone", "question": "旧问题", "levels": ["assistant"]}] if old else []
        (entries / "a.yaml").write_text(yaml.safe_dump({"entries": [first, merged, *gone]}, allow_unicode=True), encoding="utf-8")
        synonyms = {"synonyms": [{"canonical": "技师", "variants": ["老技师" if old else "技师证"]}]}
        synonyms |= {"skill_words": ["技工"]} if old else {"subjects": {"skills": ["技师"], "zjtx": ["专精特新"]}}
        (repo / "knowledge" / "synonyms.yaml").write_text(yaml.safe_dump(synonyms, allow_unicode=True), encoding="utf-8")
        (repo / "knowledge" / "levels.yaml").write_text("levels: old\n" if old else "levels: new\n", encoding="utf-8")
        en = {"stopwords": ["the"], "held": {"before": ["after"]}} if not old else {"stopwords": ["a"]}
        (repo / "knowledge" / "en" / "synonyms.yaml").write_text(yaml.safe_dump(en), encoding="utf-8")

    write(old=True)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "first")
    first = _git(repo, "rev-parse", "HEAD")
    write(old=False)
    return repo, first


@needs_git
def test_declarations_now_lays_todays_declarations_over_the_old_phrasings(declared_history, monkeypatch) -> None:
    import yaml

    repo, first = declared_history
    monkeypatch.delenv("CONTENT_DIR", raising=False)
    with content_as_of(first, repository=repo, declarations_now=True) as root:
        entries = {e["id"]: e for e in yaml.safe_load((root / "knowledge/entries/a.yaml").read_text(encoding="utf-8"))["entries"]}
        synonyms = yaml.safe_load((root / "knowledge/synonyms.yaml").read_text(encoding="utf-8"))
        en = yaml.safe_load((root / "knowledge/en/synonyms.yaml").read_text(encoding="utf-8"))
        levels = (root / "knowledge/levels.yaml").read_text(encoding="utf-8")
    ladder = entries["skills-ladder"]
    # what was written for the questions stays the commit's; what declares the entry is today's
    assert ladder["question"] == "技师能评什么" and ladder["answer"] == "old"
    assert ladder["subject"] == "skills" and ladder["levels"] == ["intermediate"] and "about_skills" not in ladder
    assert entries["fee-old"]["asks"] == ["fee"]  # merged into today's "fee": its declarations
    assert entries["gone"]["levels"] == ["assistant"]  # no entry today: left as it was
    assert synonyms["synonyms"][0]["variants"] == ["老技师"] and "skill_words" not in synonyms
    assert synonyms["subjects"] == {"skills": ["技师"], "zjtx": ["专精特新"]}
    assert en["stopwords"] == ["a"] and en["held"] == {"before": ["after"]}
    assert levels == "levels: new\n"
    with content_as_of(first, repository=repo) as plain:
        assert "about_skills: true" in (plain / "knowledge/entries/a.yaml").read_text(encoding="utf-8")


@needs_git
def test_declarations_now_over_broken_yaml_is_a_clear_error(declared_history) -> None:
    repo, first = declared_history
    (repo / "knowledge" / "entries" / "a.yaml").write_text("entries: [unclosed\n", encoding="utf-8")
    with pytest.raises(RevisionError, match="no valid YAML"), content_as_of(first, repository=repo, declarations_now=True):
        pass


@pytest.mark.skipif(shutil.which("git") is None or not (PROJECT_ROOT / ".git").exists(), reason="needs the project's git history")
def test_kb_eval_declarations_now_needs_as_of() -> None:
    from bot.cli import _register_optional_commands, app

    _register_optional_commands()
    dev = str(PROJECT_ROOT / "tests" / "data" / "kb_dev" / "dev_levels.yaml")
    result = CliRunner().invoke(app, ["kb", "eval", "--declarations-now", dev])
    assert result.exit_code == 2 and "--declarations-now needs --as-of" in result.output
