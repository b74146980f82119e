"""Person names typed into free text, found so they can be masked before the text is kept.

A question kept for staff (unanswered questions, candidate phrasings) must not carry the asker's or
a colleague's name. Names cannot be told from words in general, and a statistical tagger (jieba's
part-of-speech ``nr``) marks 盖章, 谢谢 and 晋升 as names in this domain's questions, so only the
ways people actually put a name into such a question count:

* after a word that introduces a name: 我叫王小红, 姓名：赵敏, 申报人是李强, my name is Anna Li;
* a surname and one or two characters before what one asks about a person's application
  (张三明的进度, 帮王强查一下, 同事李四的材料退回来了), at the start of the text or after a word
  that points at a person (员工, 同事, 帮, 查…).

What is left is over-masked rather than under-masked: a masked word costs staff a guess at the
question, a kept name costs the person their privacy.
"""

from __future__ import annotations

import re

from bot.core.dictionary import short_words

#: the common single-character surnames (about nine in ten Chinese people) and compound surnames
_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵"
    "万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘"
    "祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟"
    "艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞"
    "姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙", "宇文", "夏侯", "端木")
#: characters that end a name: what follows a name in a question, never part of it
_AFTER_NAME = "的是在我想能要问请了吗呢啊吧和与跟，。、！？,.!?：: 今明去年月日说让"
#: second characters that make a surname character part of a word of this domain (高级, 单位,
#: 程序, 黄岛): no name
_WORD_SECOND = "级工中高初副正程师业位司人事岛证书表费"
#: what a question asks about a person's application, after the person's name
_ABOUT_APPLICATION = r"(?:的?(?:申报)?(?:进度|状态|材料|评审表|评审结果|申请编号)|的(?:结果|证书|职称|申请|编号))"

_CJK = r"[\u4e00-\u9fff]"
_SURNAME = "(?:" + "|".join(_COMPOUND_SURNAMES) + f"|[{_SURNAMES}])"
#: a word that introduces a name, then the name (two to four characters of Chinese)
_INTRODUCED = re.compile(
    rf"(?:我叫|我名叫|名叫|叫做|名字(?:是|叫)|姓名(?:是|为|叫)?[:：]?\s*|申报人(?:是|叫|[:：])\s*)"
    rf"({_CJK}{{2,4}})"
)
_INTRODUCED_EN = re.compile(r"(?i)\b(?:my name is|my name's|name\s*:)\s*([a-z][a-z'-]*(?:\s+[a-z][a-z'-]*)?)")
#: a surname with one or two more characters where the text starts or after a word pointing at
#: a person, before what is asked about that person's application
_POINTED = re.compile(
    rf"(?:^|(?<=[\s，,。；;：:]))(?:(?:员工|同事|职工|同志|帮|替|给|查|查询|查一下)\s*)?({_SURNAME}{_CJK}{{1,2}}?)(?=\s*{_ABOUT_APPLICATION})"
    rf"|(?:员工|同事|职工|帮|替|给|查询|查一下)\s*({_SURNAME}{_CJK}{{1,2}}?)(?=\s*{_ABOUT_APPLICATION}|\s*查)"
)


def _trim(name: str) -> str:
    """The name without what follows it (我叫王强想问 → 王强)."""
    for index, char in enumerate(name):
        if char in _AFTER_NAME:
            return name[:index]
    return name


def _a_word(name: str) -> bool:
    """Whether a name found by its shape alone is a word instead: one of this domain (高级, 单位,
    黄岛) or of the dictionary (周末, 石化, 何时)."""
    if name in _COMPOUND_SURNAMES:
        return False
    return name[1] in _WORD_SECOND or name in short_words() or name[:2] in short_words()


def _spans(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for match in _INTRODUCED.finditer(text):
        name = _trim(match.group(1))
        if len(name) >= 2:
            spans.append((match.start(1), match.start(1) + len(name)))
    for match in _INTRODUCED_EN.finditer(text):
        spans.append(match.span(1))
    for match in _POINTED.finditer(text):
        group = 1 if match.group(1) else 2
        name = match.group(group)
        if len(name) >= 2 and not _a_word(name):
            spans.append(match.span(group))
    return spans


def mask_names(text: str, mask: str) -> str:
    """``text`` with every name found (see the module docstring) replaced by ``mask``."""
    spans = sorted(_spans(text))
    if not spans:
        return text
    out, last = [], 0
    for start, end in spans:
        if start < last:
            continue
        out.append(text[last:start])
        out.append(mask)
        last = end
    out.append(text[last:])
    return "".join(out)
