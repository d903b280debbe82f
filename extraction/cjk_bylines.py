"""Bylines in Chinese, Japanese and Korean, where the role is glued to the name.

"홍길동 기자" (reporter Hong Gil-dong), "山田太郎記者", "本报记者 王小明", "워싱턴=홍길동 특파원"
(the place filed from, "="), "編集委員・山田太郎", "责任编辑：王小明", "글·사진=홍길동 기자"
(text and photos by). Written without letter case, often without spaces and with full-width
punctuation, these pass the Latin rules of :mod:`extraction.authors` untouched. Here the labels,
role words and places go, and the names a byline lists are set apart: Korean ones by "·",
Chinese ones by spaces (a Japanese name keeps its space: "大渡 美咲" is one person).
"""

from __future__ import annotations

import re

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_HAN_ONLY = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]+(?:\s+[\u3400-\u4dbf\u4e00-\u9fff]+)+$")
FULL_WIDTH = str.maketrans(
    {"：": ":", "（": "(", "）": ")", "＝": "=", "／": "/", "，": ",", "；": ";", "｜": "|"}
    | {"　": " "}
)
# "责任编辑：", "作者：", "文/": a label before the names (after full-width forms are folded).
_LABEL = re.compile(
    r"^\(?\s*(?:责任编辑|责编|責任編輯|编辑|編輯|作者|撰文|撰稿|文字|文|记者|記者|글|취재)"
    r"\s*[:/]\s*"
)
# Words of which a labelled credit line holds one (for a cheap search of the page's text).
LINE_MARKERS = (
    *("责编", "责任编辑", "責任編輯", "编辑", "編輯", "作者", "记者", "記者"),
    *("기자", "특파원"),
)
# Labels of a line that credits the pictures only ("사진=", "写真:", "摄影："): no author.
PHOTO_LABELS = frozenset(
    {"사진", "영상", "그래픽", "写真", "撮影", "摄影", "攝影", "图", "圖", "图片", "圖片"}
)
_PHOTO_LINE = re.compile(rf"^\(?\s*(?:{'|'.join(PHOTO_LABELS)})\s*[:/=]")
# Before "=": the place filed from ("워싱턴=", "ワシントン=") or what is credited ("글·사진=").
_BEFORE_EQUALS = re.compile(r"^[^=\s]{1,12}\s*=\s*")
# "本报记者", "新华社记者", "中央社記者", "記者": the newsroom's reporter before the names.
_REPORTER_FIRST = re.compile(r"^[\u4e00-\u9fff]{0,4}?(?:特约)?(?:记者|記者|通讯员|通訊員)\s*(?=\S)")
# "編集委員・", "ワシントン支局・": a role or desk before the Japanese middle dot.
_DESK_FIRST = re.compile(r"^[^・\s]{0,10}(?:委員|記者|特派員|支局長|総局長|支局|総局)・")
# Korean names are listed with a middle dot: "홍길동·김철수 기자".
_KOREAN_LIST = re.compile(r"(?<=[\uac00-\ud7af])\s*[·ㆍ]\s*(?=[\uac00-\ud7af])")
# Role words after the name: Korean with or without a space, Japanese glued on.
_ROLE_AFTER = re.compile(
    r"(?:\s+(?:선임|전문|객원|인턴|수습|사진|영상|취재|대)기자"
    r"|\s*(?:기자|특파원|논설위원|논설실장|편집위원|통신원|칼럼니스트|앵커)"
    r"|\s*(?:記者|特派員|編集委員|論説委員|解説委員|通信員|支局長|総局長|记者|通讯员|通訊員))$"
)
# A line signed by a Korean reporter: "홍길동 기자 hong@example.kr", "워싱턴=홍길동·김철수 특파원".
_SIGNED = re.compile(
    r"^(?:[^=\s]{1,12}\s*=\s*)?"  # the place filed from
    r"[\uac00-\ud7af]{2,4}(?:\s*[·ㆍ]\s*[\uac00-\ud7af]{2,4})*"  # the names
    r"\s?(?:기자|특파원)(?:\s+\S+@\S+)?$"
)
# "台北報導", "北京电": where and that it was reported, not a name.
_REPORTED_FROM = re.compile(r"(?:報導|报道|報道|電|电)$")


def has_cjk(text: str) -> bool:
    return _CJK.search(text) is not None


def fold_punctuation(text: str) -> str:
    """Full-width colons, brackets, slashes and commas as their ASCII forms."""
    return text.translate(FULL_WIDTH)


def is_photo_line(text: str) -> bool:
    return _PHOTO_LINE.match(text) is not None


def split_names(part: str, language: str | None) -> list[str]:
    """One piece of a byline (split already at commas, "、", "/") -> the names in it, their
    labels, places and the newsroom's "reporter" before them cut."""
    if not has_cjk(part):
        return [part]
    names: list[str] = []
    for piece in _LABEL.sub("", part.strip()).split("/"):  # "記者王小明/台北報導"
        if is_photo_line(piece):
            continue
        piece = _BEFORE_EQUALS.sub("", piece.strip())
        piece = _DESK_FIRST.sub("", _REPORTER_FIRST.sub("", piece))
        if _REPORTED_FROM.search(piece):
            continue
        if language == "zh" and _HAN_ONLY.match(piece):
            names += piece.split()
        else:
            names += _KOREAN_LIST.split(piece)
    return names


def without_role(name: str) -> str:
    """ "홍길동 기자" -> "홍길동", "山田太郎記者" -> "山田太郎"."""
    if not has_cjk(name):
        return name
    return _ROLE_AFTER.sub("", name.strip()).strip()


def is_labelled_credit(text: str) -> bool:
    """A short line the page sets apart that is a credit by its label ("(责编：王小明)") or
    by a Korean role after a name ("홍길동 기자 hong@example.kr")."""
    folded = fold_punctuation(text).strip()
    return bool(_LABEL.match(folded) or _SIGNED.match(folded))
