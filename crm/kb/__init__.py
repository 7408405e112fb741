"""The knowledge base: article services (crm.kb.services) and search (crm.kb.search)."""
