"""Clause tags for the policy finder: which kind of enterprise a clause concerns and what it offers
or demands. Rules over the clause's normalised text, applied at ingestion and stored with each
clause (index/…/clauses.json), so the finder needs no model and answers instantly.

Rules, not a model: the vocabulary of these plans is narrow and regular (资金, 税收, 召回, 责任单位…),
a rule is easy to read and to test, and a wrong tag is fixed by editing one line here.
"""

from __future__ import annotations

import re

from rag.text import normalize

# kind of enterprise → words that mark a clause as concerning it
SECTORS: dict[str, str] = {
    "制造业": r"制造|工业|工厂|产业集群|产业链|装备|零部件|智能制造|技术改造",
    "建筑工程": r"工程质量|建设工程|建筑|建材|施工|监理|勘察|工地|装配式",
    "检验检测": r"检验|检测|认证|计量|实验室|质检中心|合格评定",
    "服务业": r"服务业|生活服务|生产性服务|物流|旅游|餐饮|家政|会展|电子商务|电商|物业",
    "食品农产品": r"食品|农产品|药品|农业|农药|兽药|饲料|粮|预制菜|水产",
    "中小微企业": r"中小微|中小企业|小微企业|专精特新",
    "出口企业": r"出口|外贸|走出去|境外|技术性贸易|国际贸易|跨境|内外贸",
}
# what the user looks for → words that mark a clause as offering or demanding it
NEEDS: dict[str, str] = {
    "资金/税收/金融扶持": r"资金|经费|税收|税务|加计扣除|金融|融资|信贷|质量贷|质押|保险|基金|补贴|奖补|创新券|扶持",
    "奖励与评选": r"质量奖|奖励|表彰|表扬|评选|评价认定|示范区|示范城市|老字号|领跑者|品牌榜|东莞优品|鲁班奖|金匠奖",
    "义务与责任": r"主体责任|首负责任|第一责任人|首要责任|责任追溯|义务|召回|下架|承诺|终身责任"
    r"|联合惩戒|失信|严格执行|强制性",
}
CONTACT = "联系部门"
CONTACT_WORDS = re.compile(r"联系人|联系电话|电子邮箱|邮寄地址")
_SECTORS = {tag: re.compile(pattern) for tag, pattern in SECTORS.items()}
_NEEDS = {tag: re.compile(pattern) for tag, pattern in NEEDS.items()}

SECTOR_TAGS = tuple(SECTORS)
NEED_TAGS = (*NEEDS, CONTACT)


def matching_sentence(text: str, tag: str) -> str:
    """The first sentence of `text` that earned it `tag` ("" when none does)."""
    pattern = _SECTORS.get(tag) or _NEEDS.get(tag) or (CONTACT_WORDS if tag == CONTACT else None)
    if pattern is None:
        return ""
    for sentence in re.split(r"(?<=[。；;！？])|\n", normalize(text)):
        if pattern.search(sentence):
            return sentence.strip()
    return ""


def tag_clause(text: str, responsible: list[str]) -> list[str]:
    """Sector and need tags of one clause ("联系部门" when it names responsible units or contacts)."""
    norm = normalize(text)
    tags = [tag for tag, pattern in _SECTORS.items() if pattern.search(norm)]
    tags += [tag for tag, pattern in _NEEDS.items() if pattern.search(norm)]
    if responsible or CONTACT_WORDS.search(norm):
        tags.append(CONTACT)
    return tags
