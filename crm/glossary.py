"""A bilingual customer-service glossary: query expansion so Chinese and English words meet lexically.

The sentence embeddings already bridge the two languages; the glossary adds the exact domain terms
they can blur (发票 / invoice, 到账 / credited) to the full-text side of the search.
"""

from __future__ import annotations

from functools import cache

from crm.text import segment

# Each group lists words that mean the same thing to a customer-service agent, Chinese and English.
GROUPS: tuple[tuple[str, ...], ...] = (
    ("退款", "退钱", "refund", "money back", "reimburse"),
    ("到账", "入账", "credited"),
    ("退货", "退回商品", "return", "send back"),
    ("换货", "更换", "exchange", "replacement"),
    ("发货", "寄出", "ship", "dispatch"),
    ("快递", "物流", "包裹", "配送", "delivery", "courier", "parcel", "shipping", "logistics"),
    ("签收", "收货", "received", "sign for"),
    ("丢件", "丢失", "lost", "missing"),
    ("破损", "损坏", "damaged", "broken"),
    ("发票", "开票", "invoice", "fapiao", "receipt"),
    ("抬头", "company title", "invoice title"),
    ("税号", "tax id", "taxpayer number"),
    ("密码", "password", "passcode"),
    ("重置", "找回", "reset", "recover"),
    ("登录", "登陆", "log in", "login", "sign in"),
    ("账号", "账户", "帐号", "account"),
    ("注销", "删除账号", "close account", "delete account"),
    ("手机号", "手机号码", "phone number", "mobile number"),
    ("验证码", "verification code", "otp"),
    ("保修", "质保", "warranty", "guarantee"),
    ("维修", "修理", "repair", "fix"),
    ("会员", "vip", "membership", "member"),
    ("积分", "points", "loyalty points"),
    ("优惠券", "折扣券", "coupon", "voucher", "discount code"),
    ("支付", "付款", "payment", "pay"),
    ("支付宝", "alipay"),
    ("微信支付", "wechat pay"),
    ("信用卡", "银行卡", "credit card", "bank card", "card"),
    ("分期", "installment", "instalment"),
    ("订单", "order"),
    ("取消", "撤销", "cancel"),
    ("修改地址", "更改地址", "change address", "update address"),
    ("地址", "address"),
    ("运费", "邮费", "shipping fee", "postage", "delivery charge"),
    ("价格", "差价", "price", "price difference"),
    ("投诉", "complaint", "complain"),
    ("客服", "人工客服", "customer service", "agent", "support"),
    ("隐私", "个人信息", "privacy", "personal data"),
    ("发送", "send"),
    ("多久", "多长时间", "几天", "how long", "how many days"),
    ("时间", "time"),
    ("国际", "海外", "international", "overseas", "abroad"),
    ("预售", "pre-order", "preorder"),
    ("缺货", "out of stock", "sold out"),
    ("安装", "install", "installation"),
)


@cache
def _index() -> dict[str, frozenset[str]]:
    index: dict[str, set[str]] = {}
    for group in GROUPS:
        words = {w for term in group for w in segment(term)}
        for term in group:
            key = " ".join(segment(term))
            if key:
                index.setdefault(key, set()).update(words)
    return {key: frozenset(words) for key, words in index.items()}


def expand(words: list[str]) -> list[str]:
    """Glossary equivalents of query words (one- and two-word phrases), without the words themselves."""
    index = _index()
    found: set[str] = set()
    for i, word in enumerate(words):
        found |= index.get(word, frozenset())
        if i + 1 < len(words):
            found |= index.get(f"{word} {words[i + 1]}", frozenset())
    return sorted(found - set(words))
