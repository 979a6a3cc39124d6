from django.urls import path

from accounts import views

urlpatterns = [
    path("tokens/", views.tokens, name="account-tokens"),
    path("tokens/<str:token_key>/revoke/", views.token_revoke_view, name="account-token-revoke"),
]
