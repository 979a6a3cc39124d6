"""The user's own API tokens: list them, revoke one."""

from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.models import AuthToken
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.response import Response

from accounts.permissions import OwnTokens
from accounts.tokens import token_list, token_revoke


class TokenSerializer(serializers.ModelSerializer):
    current = serializers.SerializerMethodField(help_text="Whether this request was made with this token.")

    class Meta:
        model = AuthToken
        fields = ["token_key", "created", "expiry", "current"]
        extra_kwargs = {
            "token_key": {"help_text": "The token's first characters: enough to tell tokens apart."},
            "expiry": {"help_text": "When it expires unless used before (null: never)."},
        }

    def get_current(self, token) -> bool:
        auth = self.context["request"].auth
        return isinstance(auth, AuthToken) and auth.digest == token.digest


@extend_schema(tags=["auth"])
class TokenViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Your own API tokens (only their first characters: a token is shown once, when made)."""

    serializer_class = TokenSerializer
    permission_classes = [OwnTokens]
    lookup_field = "token_key"
    lookup_value_regex = r"[^/]+"
    filter_backends = []

    def get_queryset(self):
        return token_list(self.request.user)

    @extend_schema(
        responses={
            204: OpenApiResponse(description="Token revoked."),
            404: OpenApiResponse(description="No such token of yours."),
        }
    )
    def destroy(self, request, token_key=None):
        if not token_revoke(request.user, token_key):
            return Response({"message": "You have no token with that key."}, status=status.HTTP_404_NOT_FOUND)
        return Response(status=status.HTTP_204_NO_CONTENT)
