"""Demo data for the CRM: ~200 customers with timelines and the bilingual knowledge base.

`seed()` is idempotent: run it twice and nothing is duplicated (articles are matched by slug,
customers by their first number).
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from crm.kb.services import index_articles, save_article
from crm.models import Article, ArticleCategory, CustomerPhone, InteractionKind
from crm.services import create_customer, record_interaction

ARTICLES_FILE = Path(__file__).with_name("articles.json")

SURNAMES = [
    "王",
    "李",
    "张",
    "刘",
    "陈",
    "杨",
    "黄",
    "赵",
    "吴",
    "周",
    "徐",
    "孙",
    "马",
    "朱",
    "胡",
    "郭",
    "何",
    "高",
    "林",
    "罗",
    "郑",
    "梁",
    "谢",
    "宋",
    "唐",
    "许",
    "韩",
    "冯",
    "邓",
    "曹",
]
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "浩然",
    "子涵",
    "欣怡",
    "梓轩",
    "一诺",
    "雨桐",
    "宇航",
    "思远",
]
FIRST_EN = [
    "James",
    "Emily",
    "Michael",
    "Sarah",
    "David",
    "Jessica",
    "Daniel",
    "Laura",
    "Thomas",
    "Olivia",
    "Kevin",
    "Grace",
    "Ryan",
    "Chloe",
]
LAST_EN = [
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Wilson",
    "Clark",
    "Lewis",
    "Walker",
    "Hall",
    "Young",
    "King",
    "Wright",
    "Green",
    "Baker",
]
COMPANIES = ["上海云帆贸易有限公司", "杭州青禾科技有限公司", "深圳星海电子有限公司", "北京博远咨询有限公司",
             "Harbor Logistics Ltd", "Northwind Trading Co", "成都锦程餐饮管理有限公司"]  # fmt: skip
CITIES = ["上海", "北京", "杭州", "深圳", "广州", "成都", "南京", "武汉", "西安", "苏州"]
TAGS = ["老客户", "大促用户", "投诉过", "企业采购", "newsletter", "海外"]
NOTES = [
    ("call", "咨询退款进度，已告知 3 个工作日内到账"),
    ("call", "Asked about delivery to Hong Kong; sent shipping article"),
    ("email", "发票抬头修改申请"),
    ("chat", "询问金卡会员权益"),
    ("note", "客户偏好下午联系"),
    ("callback", "预约回电：维修进度"),
    ("voicemail", "留言：包裹显示签收但未收到"),
]


def _phone_formats(rng: random.Random, mobile: str) -> str:
    return rng.choice([mobile, f"+86 {mobile[:3]} {mobile[3:7]} {mobile[7:]}", f"0086{mobile}",
                       f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}"])  # fmt: skip


def seed_articles() -> dict[str, int]:
    """Load the demo knowledge base (categories and articles) from articles.json."""
    data = json.loads(ARTICLES_FILE.read_text(encoding="utf-8"))
    categories = {}
    for order, cat in enumerate(data["categories"]):
        categories[cat["slug"]], _ = ArticleCategory.objects.update_or_create(
            slug=cat["slug"], defaults={"name": cat["name"], "name_en": cat["name_en"], "order": order}
        )
    written = []
    for item in data["articles"]:
        article = Article.objects.filter(slug=item["slug"]).first()
        if article and article.title == item["title"] and article.search_vector is not None:
            continue  # unchanged: no new version, no re-indexing
        saved = save_article(
            article=article,
            slug=item["slug"],
            title=item["title"],
            body=item["body"],
            language=item["language"],
            audience=item["audience"],
            status="published",
            category=categories[item["category"]],
            tags=item["tags"],
            index=False,  # indexed below in one batch: the encoder is much faster on lists
        )
        written.append(saved)
    index_articles(articles=written)
    return {"articles": len(data["articles"]), "articles_written": len(written)}


def _timeline(rng: random.Random, customer, now: dt.datetime) -> None:
    for _ in range(rng.randint(0, 6)):
        kind, summary = rng.choice(NOTES)
        record_interaction(
            customer=customer, kind=kind, summary=summary, at=now - dt.timedelta(hours=rng.randint(1, 2000))
        )
    if rng.random() < 0.5:
        record_interaction(
            customer=customer,
            kind=InteractionKind.SURVEY,
            summary="满意度调查 CSAT",
            data={"score": rng.choice([3, 4, 4, 5, 5, 5])},
            at=now - dt.timedelta(hours=rng.randint(1, 500)),
        )


@transaction.atomic
def seed_customers(count: int = 200) -> dict[str, int]:
    """Demo customers (Chinese and English names, some VIPs, companies) with timelines."""
    owners = list(get_user_model().objects.filter(groups__name="agent").order_by("pk")[:10])
    now = timezone.now()
    made = 0
    for i in range(count):
        rng = random.Random(f"crm-demo-{i}")  # one stream per customer: a re-run skips the same ones
        mobile = f"13{rng.randint(5, 9)}{rng.randint(0, 99999999):08d}"
        english = i % 7 == 3
        company = i % 11 == 5
        name = (
            f"{rng.choice(FIRST_EN)} {rng.choice(LAST_EN)}"
            if english
            else rng.choice(SURNAMES) + rng.choice(GIVEN)
        )
        raw = _phone_formats(rng, mobile)
        if CustomerPhone.objects.filter(number=f"+86{mobile}").exists():
            continue
        phones = [raw]
        if company:
            phones.append(f"021-6{rng.randint(0, 9999999):07d} 转 {rng.randint(100, 999)}")
        if i % 50 == 17:
            phones.append("12345")  # a number typed wrong: kept and flagged, as real data has them
        fields: dict[str, Any] = {
            "kind": "company" if company else "person",
            "company": rng.choice(COMPANIES) if company else "",
            "language": "en" if english else "zh",
            "region": rng.choice(CITIES),
            "vip_level": rng.choice([0] * 8 + [1, 2, 3]),
            "tags": rng.sample(TAGS, rng.randint(0, 2)),
            "owner": rng.choice(owners) if owners and rng.random() < 0.4 else None,
            "do_not_call": i % 37 == 0,
        }
        email = f"demo{i}@example.com" if rng.random() < 0.6 else ""
        customer = create_customer(name=name, phones=phones, email=email, **fields)
        _timeline(rng, customer, now)
        made += 1
    return {"customers": made}


def seed(*, customers: int = 200, articles: bool = True) -> dict[str, int]:
    """Seed demo customers and the knowledge base; safe to run again."""
    counts: dict[str, int] = {}
    if articles:
        counts.update(seed_articles())
    counts.update(seed_customers(customers))
    return counts
