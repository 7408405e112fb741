"""REST API of the crm app, under /crm/api/."""
