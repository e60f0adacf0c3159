"""The web app: a thin client of the library (pages, JSON twins under /api, uploads)."""
