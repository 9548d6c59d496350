"""URLs of the project: Django's admin site at /admin/, nothing else."""

from django.contrib import admin
from django.urls import path

urlpatterns = [path("admin/", admin.site.urls)]
