"""The corpus' Wagtail project: Wagtail's admin with one snippet model that has drafts and revisions."""
