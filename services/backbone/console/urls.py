"""The console's pages. Sign-in, sign-out and the language switch are Django's own views."""

from __future__ import annotations

from django.contrib.auth import views as auth
from django.urls import path
from django.views.i18n import set_language

from backbone.console.views import (
    assets,
    board,
    children,
    follow_up,
    operations,
    pathway,
    reports,
)

urlpatterns = [
    path("", board.board_page, name="board"),
    path("board/live", board.board_live, name="board-live"),
    path("board.csv", board.board_csv, name="board-csv"),
    path("breaches/follow-up", follow_up.follow_up, name="follow-up"),
    path("children", children.children_page, name="children"),
    path("children.csv", children.children_csv, name="children-csv"),
    path("pathway/<str:child_ref>", pathway.pathway_page, name="pathway"),
    path("compliance", reports.compliance_page, name="compliance"),
    path("compliance.csv", reports.compliance_csv, name="compliance-csv"),
    path("funnel", reports.funnel_page, name="funnel"),
    path("health", operations.health_page, name="health"),
    path("quarantine", operations.quarantine_page, name="quarantine"),
    path("login/", auth.LoginView.as_view(template_name="console/login.html"), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("language", set_language, name="set-language"),
    path("static/<str:name>", assets.asset, name="asset"),
    path("favicon.ico", assets.favicon, name="favicon"),
]
