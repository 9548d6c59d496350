"""harapp: a correlation-sensitive demo web app and real browser HAR recordings of it."""
