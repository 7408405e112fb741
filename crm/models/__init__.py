"""Models of the crm app: customers, the interaction timeline and the knowledge base."""

from crm.models.customers import (
    Customer,
    CustomerEmail,
    CustomerKind,
    CustomerPhone,
    CustomFieldDefinition,
    CustomFieldType,
)
from crm.models.kb import (
    Article,
    ArticleAttachment,
    ArticleAudience,
    ArticleCategory,
    ArticleLanguage,
    ArticleStatus,
    ArticleTerm,
)
from crm.models.timeline import Interaction, InteractionKind

__all__ = [
    "Article",
    "ArticleAttachment",
    "ArticleAudience",
    "ArticleCategory",
    "ArticleLanguage",
    "ArticleStatus",
    "ArticleTerm",
    "CustomFieldDefinition",
    "CustomFieldType",
    "Customer",
    "CustomerEmail",
    "CustomerKind",
    "CustomerPhone",
    "Interaction",
    "InteractionKind",
]
