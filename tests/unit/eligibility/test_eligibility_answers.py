"""The dialog's answers mapped to the evaluator's profile: the one scope question tells three fields."""

from __future__ import annotations

import pytest

from bot.eligibility.answers import profile_from_answers
from bot.eligibility.profile import Profile


@pytest.mark.parametrize(
    ("scope", "in_shandong", "in_qingdao", "industrial_internet"),
    [
        ("qingdao", True, True, True),
        ("shandong_other", True, False, True),
        # a check begun before Qingdao was asked apart: in Shandong, city not known
        ("ok", True, None, True),
        ("outside", False, None, True),
        ("not_ii", True, None, False),
    ],
)
def test_scope_answer_sets_place_and_kind_of_work(scope, in_shandong, in_qingdao, industrial_internet):
    profile, _ = profile_from_answers({"person_type": "employee", "scope": scope})
    assert profile.works_in_shandong is in_shandong
    assert profile.works_in_qingdao is in_qingdao
    assert profile.industrial_internet_work is industrial_internet


def test_a_profile_file_refuses_a_place_that_is_not_true_or_false():
    with pytest.raises(ValueError, match="true, false"):
        Profile.model_validate({"works_in_qingdao": "yes"})
