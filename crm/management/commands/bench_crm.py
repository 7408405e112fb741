"""Benchmark: caller lookup over a million customers and KB search over 50,000 articles, as JSON.

Runs against the database in DATABASE_URL (use a scratch one, never production). Bench rows are
marked (customers: custom {"bench": true}; articles: slug "bench-...") and kept between runs so a
re-run only measures; `--drop` removes them.
"""

from __future__ import annotations

import json
import os
import platform
import random
import statistics
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
from django.core.management.base import BaseCommand
from django.db import connection, transaction

from crm import embeddings
from crm.demo import ARTICLES_FILE, FIRST_EN, GIVEN, LAST_EN, SURNAMES
from crm.kb import search, vectors
from crm.kb.evaluation import Question, evaluate
from crm.kb.search import Filters, search_articles
from crm.kb.services import index_rows
from crm.models import Article, ArticleTerm, Customer
from crm.selectors import customer_for_number, search_customers
from crm.text import html_to_text, sanitize_html

EVAL_FILE = Path(__file__).resolve().parents[3] / "tests" / "crm" / "kb_eval.json"
TRGM_INDEXES = {
    "crm_customer_name_trgm": "crm_customer USING gin (name gin_trgm_ops)",
    "crm_customer_company_trgm": "crm_customer USING gin (company gin_trgm_ops)",
    "crm_phone_number_trgm": "crm_customerphone USING gin (number gin_trgm_ops)",
}


def _array(words: list[str]) -> str:
    return "ARRAY[" + ",".join(f"'{w}'" for w in words) + "]"


def _name_sql(n: str) -> str:
    """SQL for the name of bench customer number n: English for one in seven (language en)."""
    return (
        f"CASE WHEN {n} %% 7 = 0 THEN ({_array(FIRST_EN)})[1 + ({n} / 7) %% 14] || ' ' || "
        f"({_array(LAST_EN)})[1 + ({n} / 98) %% 14] "
        f"ELSE ({_array(SURNAMES)})[1 + {n} %% 30] || ({_array(GIVEN)})[1 + ({n} / 30) %% 30] END"
    )


def _ms(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 3)

    return {
        "n": len(ordered),
        "p50_ms": pct(0.5),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "max_ms": round(ordered[-1] * 1000, 3),
        "mean_ms": round(statistics.mean(ordered) * 1000, 3),
    }


def _machine() -> dict[str, Any]:
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            model = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), ""
            )
    except OSError:
        pass
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return {
        "cpus": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "postgresql": pg,
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


class Command(BaseCommand):
    help = "Seed a million customers and 50,000 articles (once) and print lookup and search timings."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--customers", type=int, default=1_000_000)
        parser.add_argument("--articles", type=int, default=50_000)
        parser.add_argument("--lookups", type=int, default=5000)
        parser.add_argument("--searches", type=int, default=500)
        parser.add_argument("--kb-only", action="store_true", help="skip customers and lookups")
        parser.add_argument("--json", action="store_true", help="print only the JSON figures")
        parser.add_argument("--drop", action="store_true", help="remove the bench rows and stop")

    def log(self, message: str) -> None:
        if not self.quiet:
            self.stderr.write(message)

    def handle(self, *args, **options) -> None:
        self.quiet = options["json"]
        if options["drop"]:
            self.drop()
            return
        result: dict[str, Any] = {"machine": _machine()}
        kb_only = options["kb_only"]
        result["seed"] = {
            "customers": None if kb_only else self.seed_customers(options["customers"]),
            "articles": self.seed_articles(options["articles"]),
        }
        if not kb_only:
            result["lookup"] = self.bench_lookup(options["lookups"])
            result["customer_search"] = self.bench_customer_search(200)
        result["kb_search"] = self.bench_kb_search(options["searches"])
        result["kb_quality"] = self.bench_kb_quality()
        result["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
        self.stdout.write(json.dumps(result, ensure_ascii=False, indent=None if options["json"] else 2))

    def drop(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "DELETE FROM crm_interaction WHERE customer_id IN "
                "(SELECT id FROM crm_customer WHERE custom ? 'bench')"
            )
            cursor.execute(
                "DELETE FROM crm_customerphone WHERE customer_id IN "
                "(SELECT id FROM crm_customer WHERE custom ? 'bench')"
            )
            cursor.execute("DELETE FROM crm_customer WHERE custom ? 'bench'")
            cursor.execute("DELETE FROM crm_article WHERE slug LIKE 'bench-%'")
        self.log("bench rows removed")

    # -- seeding ------------------------------------------------------------------------------------

    def seed_customers(self, target: int) -> dict[str, Any]:
        """Customers, numbers and timelines generated inside PostgreSQL: minutes, not hours."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*), coalesce(max((custom->>'bench_n')::int), 0) "
                "FROM crm_customer WHERE custom ? 'bench'"
            )
            have, last = cursor.fetchone()
        if have >= target:
            self._english_names()
            self._ensure_indexes()
            return {"existing": have, "inserted": 0, "seconds": 0.0}
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            # GIN indexes are far cheaper to build once than to update a million times.
            for name in TRGM_INDEXES:
                cursor.execute(f"DROP INDEX IF EXISTS {name}")
            cursor.execute(
                f"""
                INSERT INTO crm_customer (kind, name, company, email, language, region, address, vip_level,
                    tags, do_not_call, consent, custom, notes, created_at, updated_at)
                SELECT CASE WHEN g %% 13 = 0 THEN 'company' ELSE 'person' END, {_name_sql("g")},
                       CASE WHEN g %% 13 = 0 THEN '公司' || g ELSE '' END,
                       CASE WHEN g %% 3 = 0 THEN 'c' || g || '@example.com' ELSE '' END,
                       CASE WHEN g %% 7 = 0 THEN 'en' ELSE 'zh' END, '', '',
                       CASE WHEN g %% 20 = 0 THEN 1 + g %% 5 ELSE 0 END,
                       '[]'::jsonb, false, true, jsonb_build_object('bench', true, 'bench_n', g),
                       '', now(), now()
                FROM generate_series(%s, %s) AS g
                """,
                [last + 1, last + (target - have)],
            )
            cursor.execute(
                """
                INSERT INTO crm_customerphone (customer_id, number, raw, label, valid, extension)
                SELECT id, '+86139' || lpad((custom->>'bench_n'), 8, '0'),
                       '139' || lpad((custom->>'bench_n'), 8, '0'), '', true, ''
                FROM crm_customer WHERE custom ? 'bench' AND (custom->>'bench_n')::int > %s
                UNION ALL
                SELECT id, '+86137' || lpad((custom->>'bench_n'), 8, '0'),
                       '137' || lpad((custom->>'bench_n'), 8, '0'), 'work', true, ''
                FROM crm_customer WHERE custom ? 'bench' AND (custom->>'bench_n')::int > %s
                     AND (custom->>'bench_n')::int %% 5 = 0
                """,
                [last, last],
            )
            cursor.execute(
                """
                INSERT INTO crm_interaction (customer_id, kind, at, summary, link_id, data)
                SELECT c.id, k.kind, now() - ((c.id %% 1000) || ' hours')::interval - k.shift,
                       k.summary, '', k.data
                FROM crm_customer c,
                     (VALUES ('call', interval '0', '咨询退款进度', '{}'::jsonb),
                             ('survey', interval '1 hour', 'CSAT', '{"score": 4}'::jsonb),
                             ('note', interval '3 days', '客户偏好下午联系', '{}'::jsonb))
                          AS k(kind, shift, summary, data)
                WHERE c.custom ? 'bench' AND (c.custom->>'bench_n')::int > %s
                """,
                [last],
            )
        self._ensure_indexes()
        seconds = round(time.perf_counter() - started, 1)
        self.log(f"customers: {target - have} inserted in {seconds}s")
        return {"existing": have, "inserted": target - have, "seconds": seconds}

    def _english_names(self) -> None:
        """Bench rows from before English names were generated get theirs (once)."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM crm_customer "
                "WHERE custom ? 'bench' AND language = 'en' AND name ~ '^[A-Z]' LIMIT 1"
            )
            if cursor.fetchone():
                return
            self.log("giving the English-speaking bench customers English names")
            n = "(custom->>'bench_n')::int"
            cursor.execute(
                f"UPDATE crm_customer SET name = {_name_sql(n)} WHERE custom ? 'bench' AND {n} %% %s = 0", [7]
            )

    def _ensure_indexes(self) -> None:
        # After the inserts' transaction: deferred foreign-key checks block CREATE INDEX inside it.
        with connection.cursor() as cursor:
            for name, spec in TRGM_INDEXES.items():
                cursor.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {spec}")
            cursor.execute("ANALYZE crm_customer; ANALYZE crm_customerphone; ANALYZE crm_interaction")

    def seed_articles(self, target: int) -> dict[str, Any]:
        """Bench articles recombined from the demo ones (real text, real segmentation and embeddings)."""
        have = Article.objects.filter(slug__startswith="bench-").count()
        if have >= target:
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE crm_article")  # full-text search reads the word statistics
            return {"existing": have, "inserted": 0, "seconds": 0.0}
        started = time.perf_counter()
        self.encoded: dict = {}
        demo = json.loads(ARTICLES_FILE.read_text(encoding="utf-8"))["articles"]
        rng = random.Random(42)
        products = [
            "手机",
            "耳机",
            "洗衣机",
            "冰箱",
            "外套",
            "运动鞋",
            "laptop",
            "headphones",
            "kettle",
            "sofa",
        ]
        batch: list[Article] = []
        for n in range(have, target):
            base = demo[n % len(demo)]
            product = rng.choice(products)
            body = f"{base['body']}<p>{product}</p>"
            clean = sanitize_html(body)
            # Titles and leads repeat across bench articles (58 bases x 10 products), so the encoder runs
            # once per distinct text; every stored vector is still the real embedding of its own text.
            batch.append(
                Article(
                    slug=f"bench-{n}",
                    title=f"{base['title']} · {product}",
                    body=clean,
                    body_text=html_to_text(clean),
                    language=base["language"],
                    audience=base["audience"],
                    status="published",
                    tags=base["tags"],
                )
            )
            if len(batch) == 1000 or n == target - 1:
                self._insert_articles(batch)
                batch = []
                self.log(f"articles: {n + 1}/{target}")
        with connection.cursor() as cursor:
            # What autovacuum would do soon after: planner statistics, word statistics, visibility map.
            cursor.execute("VACUUM ANALYZE crm_article")
        seconds = round(time.perf_counter() - started, 1)
        return {"existing": have, "inserted": target - have, "seconds": seconds}

    def _insert_articles(self, batch: list[Article]) -> None:
        rows = index_rows(batch, cache=self.encoded)
        with transaction.atomic():
            Article.objects.bulk_create(batch, batch_size=500)
            saved = dict(Article.objects.filter(slug__in=[a.slug for a in batch]).values_list("slug", "id"))
            with connection.cursor() as cursor:
                cursor.executemany(
                    "UPDATE crm_article SET embedding = %s, search_vector = "
                    "setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B') "
                    "WHERE id = %s",
                    [
                        (r.embedding, r.title_words, r.body_words, saved[a.slug])
                        for a, r in zip(batch, rows, strict=True)
                    ],
                )
            terms = set().union(*(r.terms for r in rows))
            ArticleTerm.objects.bulk_create([ArticleTerm(word=w) for w in terms], ignore_conflicts=True)

    # -- measuring ----------------------------------------------------------------------------------

    def bench_lookup(self, count: int) -> dict[str, Any]:
        """customer_for_number end to end (parse, normalize, card queries) for numbers written many ways."""
        total = Customer.objects.filter(custom__has_key="bench").count()
        rng = random.Random(7)
        writings = [
            lambda d: f"+86 {d[:3]} {d[3:7]} {d[7:]}",
            lambda d: f"0086{d}",
            lambda d: d,
            lambda d: f"{d[:3]}-{d[3:7]}-{d[7:]}",
            lambda d: f"+86{d} ext. 12",
        ]
        numbers = [rng.choice(writings)(f"139{rng.randint(1, max(total, 1)):08d}") for _ in range(count)]
        for n in numbers[:50]:
            customer_for_number(n)  # warm connections and caches
        known, unknown = [], []
        found = 0
        for n in numbers:
            t = time.perf_counter()
            card = customer_for_number(n)
            known.append(time.perf_counter() - t)
            found += card.known
        for _ in range(min(count, 1000)):
            t = time.perf_counter()
            customer_for_number(f"+86 158 {rng.randint(0, 9999):04d} {rng.randint(0, 9999):04d}")
            unknown.append(time.perf_counter() - t)
        return {
            "customers": total,
            "known": _ms(known),
            "found_ratio": round(found / len(numbers), 4),
            "unknown": _ms(unknown),
        }

    def bench_customer_search(self, count: int) -> dict[str, Any]:
        """search_customers by Chinese name (prefix), English name part (trigram) and last digits."""
        rng = random.Random(9)
        samples: dict[str, list[float]] = {"name": [], "english_name": [], "last_digits": []}
        for _ in range(count):
            for kind, query in (
                ("name", rng.choice(SURNAMES) + rng.choice(GIVEN)),
                ("english_name", rng.choice(LAST_EN)[: rng.randint(4, 6)].lower()),
                ("last_digits", f"{rng.randint(0, 9999):04d}"),
            ):
                t = time.perf_counter()
                list(search_customers(query)[:20])
                samples[kind].append(time.perf_counter() - t)
        # Which indexes serve a fragment many names share, and one that matches nothing.
        plans = {q: search_customers(q)[:20].explain().split() for q in ("walk", "nobody here")}
        return {
            **{kind: _ms(s) for kind, s in samples.items()},
            "english_name_plan_indexes": {
                q: sorted({w for w in words if w.startswith("crm_customer_")}) for q, words in plans.items()
            },
        }

    def bench_kb_search(self, count: int) -> dict[str, Any]:
        """Search time per method: first pass (query embeddings not cached yet) and repeated passes.

        `cpu` is this process's CPU time (both threads); PostgreSQL's share of the full-text query is
        in the wall-clock figures only.
        """
        questions = [q["q"] for q in json.loads(EVAL_FILE.read_text(encoding="utf-8"))]
        t, cpu = time.perf_counter(), time.process_time()
        search_articles("warm up")  # loads the article vectors and the encoder
        result: dict[str, Any] = {
            "articles": Article.objects.count(),
            "first_query_s": round(time.perf_counter() - t, 2),
            "first_query_cpu_s": round(time.process_time() - cpu, 2),
        }
        kinds = {"fused": ("lexical", "semantic"), "lexical": ("lexical",), "semantic": ("semantic",)}
        for name, methods in kinds.items():
            embeddings.encode_query.cache_clear()
            runs = {"cold": questions, "warm": [questions[i % len(questions)] for i in range(count)]}
            figures = {}
            for label, batch in runs.items():
                wall, cpu_times = [], []
                for q in batch:
                    t, cpu = time.perf_counter(), time.process_time()
                    search_articles(q, filters=Filters(), methods=methods)
                    wall.append(time.perf_counter() - t)
                    cpu_times.append(time.process_time() - cpu)
                figures[label] = _ms(wall)
                figures[f"{label}_cpu"] = _ms(cpu_times)
            result[name] = figures
        return result

    def bench_kb_quality(self) -> dict[str, Any]:
        """recall@3 / MRR of the labelled questions over all these articles, and what the shortcuts cost.

        A bench article is a demo article plus a product name, so its topic is known. "uncapped"
        runs full text with no candidate limit (every article matching any word is ranked), as
        before; "semantic_exact_top10" is the share of the approximate top 10 that the exact
        top 10 also has (by score: the bench repeats texts, so ties are many).
        """
        demo = json.loads(ARTICLES_FILE.read_text(encoding="utf-8"))["articles"]
        questions = [Question.from_dict(q) for q in json.loads(EVAL_FILE.read_text(encoding="utf-8"))]

        def topic(slug: str) -> str:
            if slug.startswith("bench-"):
                slug = demo[int(slug.removeprefix("bench-")) % len(demo)]["slug"]
            return slug.rsplit("-", 1)[0]

        def figures(**kwargs) -> dict[str, float]:
            found = evaluate(questions, topic=topic, **kwargs)
            return {"recall@3": found["recall@3"], "mrr": found["mrr"]}

        result = {"fused": figures(), "lexical": figures(methods=("lexical",))}
        with _uncapped():
            result["fused_uncapped"] = figures()
            result["lexical_uncapped"] = figures(methods=("lexical",))
        result["semantic"] = figures(methods=("semantic",))
        result["semantic_exact_top10"] = self._semantic_exactness(questions)
        return result

    def _semantic_exactness(self, questions: list[Question]) -> float:
        snapshot = vectors.index.current()
        full = snapshot.full.astype(np.float32)
        shares = []
        for question in questions:
            values = {"status": "published", "language": question.language or ""}
            query = embeddings.encode_query(question.q)
            approx = snapshot.rank(query, values, None, limit=10, min_similarity=-1.0)
            exact = (full @ query).reshape(-1, 2).max(axis=1)
            exact[~snapshot.mask(values, None)] = -np.inf
            tenth = np.sort(exact)[-10]
            by_id = dict(zip(snapshot.ids.tolist(), exact.tolist(), strict=True))
            shares.append(sum(by_id[i] >= tenth - 1e-6 for i in approx) / 10)
        return round(float(np.mean(shares)), 3)


@contextmanager
def _uncapped():
    budget, cap = search.MATCH_BUDGET, search.MATCH_CAP
    search.MATCH_BUDGET = search.MATCH_CAP = 10**9
    try:
        yield
    finally:
        search.MATCH_BUDGET, search.MATCH_CAP = budget, cap
