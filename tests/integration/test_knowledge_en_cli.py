"""``python -m bot ask --lang`` and the English ``kb eval`` from a real process."""

from __future__ import annotations

import json

from tests.integration.test_knowledge_cli import ROOT, run_bot


def ask_json(*args: str) -> dict:
    proc = run_bot("ask", *args, "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_auto_answers_an_english_question_in_english():
    data = ask_json("how much is the review fee for senior engineer")
    assert data["lang"] == "en" and data["answered"] and data["entry_id"] == "fee-amounts"
    assert "360 yuan" in data["answer"] and data["answer"].rstrip().splitlines()[-1].startswith("Source: ")


def test_auto_answers_a_chinese_question_in_chinese():
    data = ask_json("评审费多少钱")
    assert data["lang"] == "zh" and data["entry_id"] == "fee-amounts" and "360元" in data["answer"]


def test_lang_forces_the_language():
    english = ask_json("how much is the review fee for senior engineer", "--lang", "en")
    assert english["lang"] == "en" and english["answered"]
    # the Chinese matcher does not read English: forced Chinese falls back, in Chinese
    chinese = ask_json("how much is the review fee for senior engineer", "--lang", "zh")
    assert chinese["lang"] == "zh" and not chinese["answered"] and "抱歉" in chinese["answer"]


def test_an_english_fallback_gives_the_office_contacts_in_english():
    proc = run_bot("ask", "what is your favourite colour", "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Sorry") and "0532-85161632" in proc.stdout and "xhazjk@163.com" in proc.stdout


def test_an_english_question_about_another_matter_is_told_what_the_assistant_covers():
    proc = run_bot("ask", "what is the weather in qingdao tomorrow", "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith('Your question mentions "weather", which is outside what I can answer')
    assert "0532-85161632" in proc.stdout and "xhazjk@163.com" in proc.stdout


def test_a_file_of_mixed_questions_is_answered_line_by_line_in_each_language(tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text("评审费多少钱\nhow much is the review fee for senior engineer\n", encoding="utf-8")
    proc = run_bot("ask", "--file", str(questions), "--json")
    assert proc.returncode == 0, proc.stderr
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [item["lang"] for item in lines] == ["zh", "en"]
    assert all(item["entry_id"] == "fee-amounts" for item in lines)


def test_an_unknown_lang_is_one_line_not_a_traceback():
    proc = run_bot("ask", "fee", "--lang", "fr")
    assert proc.returncode == 2 and "--lang must be one of" in proc.stderr and "Traceback" not in proc.stderr


def test_kb_eval_detects_the_english_dev_set_and_prints_what_askers_see():
    proc = run_bot("kb", "eval", str(ROOT / "tests" / "data" / "kb_dev_en"), timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].endswith(", language en")
    assert "direct right" in proc.stdout and "answered (bad)" in proc.stdout
