"""An Advert snippet with Wagtail's draft/publish workflow and revision history."""

from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from wagtail.admin.panels import FieldPanel
from wagtail.models import DraftStateMixin, RevisionMixin
from wagtail.snippets.models import register_snippet


class Advert(DraftStateMixin, RevisionMixin, models.Model):
    text = models.CharField(max_length=255)
    url = models.URLField(blank=True)
    _revisions = GenericRelation("wagtailcore.Revision", related_query_name="advert")

    panels = [FieldPanel("text"), FieldPanel("url")]

    class Meta:
        app_label = "cms"

    @property
    def revisions(self):  # type: ignore[no-untyped-def]
        return self._revisions

    def __str__(self) -> str:
        return self.text


register_snippet(Advert)
