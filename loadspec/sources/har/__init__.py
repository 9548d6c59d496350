"""The HAR importer: browser recordings → Spec (entries and steps in `importer`, dynamic values in `correlate`)."""

__all__: list[str] = []
