"""Registers Note with Django's admin site (list, search, add, change, delete)."""

from django.contrib import admin

from .models import Note


@admin.register(Note)
class NoteAdmin(admin.ModelAdmin):
    list_display = ("title", "done")
    search_fields = ("title",)
