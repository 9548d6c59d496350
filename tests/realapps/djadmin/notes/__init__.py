"""A minimal Django app (one model) that exists to be edited through Django's own admin."""
