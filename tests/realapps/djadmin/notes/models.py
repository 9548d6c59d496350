"""The one model of the notes app: a note with a title, a body and a done flag."""

from django.db import models


class Note(models.Model):
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    done = models.BooleanField(default=False)

    class Meta:
        app_label = "notes"

    def __str__(self) -> str:
        return self.title
