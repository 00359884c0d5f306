"""HTTP routes of the NioChat replica: only the /test/* controls of control.py (the real REST API is
not replicated). Anything else gets Django's plain 404."""

from django.urls import path

import control

urlpatterns = [
    path("test/tokens", control.add_token),
    path("test/conversations/<int:conversation_id>/messages", control.add_message),
    path("test/conversations/<int:conversation_id>/messages/<int:message_id>/delete", control.delete_message),
    path("test/conversations/<int:conversation_id>/messages/<int:message_id>/reaction", control.react),
    path("test/painel/<str:provedor>/event", control.painel_event),
    path("test/conversas_dashboard", control.conversas_dashboard),
    path("test/dashboard/<str:kind>", control.documented_dashboard),
    path("test/stats", control.stats),
]
