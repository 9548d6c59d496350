"""The shop's API (DRF router + obtain_auth_token) and its single-page client at /."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from rest_framework import permissions, routers, serializers, status, viewsets
from rest_framework.authentication import TokenAuthentication
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.request import Request
from rest_framework.response import Response

from .models import Item


class ItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = Item
        fields = ["id", "name", "price", "client_ref"]


class ItemViewSet(viewsets.ModelViewSet):
    """Items of the logged-in user. A create that repeats a known client_ref returns that item (200)
    instead of a new one, the usual idempotent-create pattern of offline-capable clients."""

    serializer_class = ItemSerializer
    authentication_classes = [TokenAuthentication]
    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self):  # type: ignore[no-untyped-def]
        return Item.objects.filter(owner=self.request.user).order_by("id")

    def create(self, request: Request, *args: object, **kwargs: object) -> Response:
        known = Item.objects.filter(client_ref=request.data.get("client_ref")).first()
        if known is not None:
            return Response(ItemSerializer(known).data, status=status.HTTP_200_OK)
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer: ItemSerializer) -> None:
        serializer.save(owner=self.request.user)


router = routers.DefaultRouter()
router.register("items", ItemViewSet, basename="item")

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>Shop</title></head>
<body>
<form id="login"><input id="username" name="username"><input id="password" name="password" type="password">
<button type="submit">Log in</button></form>
<div id="shop" hidden>
  <input id="name" value="Teapot"><input id="price" value="12.50">
  <button id="add">Add item</button> <button id="rename">Rename</button> <button id="remove">Delete</button>
  <button id="refresh">Refresh</button>
  <ul id="items"></ul><p id="status"></p>
</div>
<script>
let token = null, current = null;
const api = (method, url, body) => fetch(url, {method,
  headers: Object.assign({"Authorization": "Token " + token, "Accept": "application/json"},
                         body ? {"Content-Type": "application/json"} : {}),
  body: body ? JSON.stringify(body) : undefined})
  .then(r => { document.getElementById("status").textContent = method + " " + r.status;
               return r.status === 204 ? null : r.json(); });
async function refresh() {
  const items = await api("GET", "/api/items/?_=" + Date.now());
  document.getElementById("items").innerHTML = items.map(i => `<li data-id="${i.id}">${i.name}</li>`).join("");
}
document.getElementById("login").onsubmit = async (e) => {
  e.preventDefault();
  const r = await fetch("/api/token/", {method: "POST", headers: {"Content-Type": "application/json"},
    body: JSON.stringify({username: document.getElementById("username").value,
                          password: document.getElementById("password").value})});
  token = (await r.json()).token;
  document.getElementById("login").hidden = true; document.getElementById("shop").hidden = false;
  await refresh();
};
document.getElementById("add").onclick = async () => {
  current = await api("POST", "/api/items/", {name: document.getElementById("name").value,
    price: document.getElementById("price").value, client_ref: crypto.randomUUID()});
  current = await api("GET", `/api/items/${current.id}/`);
  await refresh();
};
document.getElementById("rename").onclick = async () => {
  current = await api("PATCH", `/api/items/${current.id}/`, {name: document.getElementById("name").value});
  await refresh();
};
document.getElementById("remove").onclick = async () => {
  await api("DELETE", `/api/items/${current.id}/`); current = null; await refresh();
};
document.getElementById("refresh").onclick = refresh;
</script>
</body></html>
"""


def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE)


urlpatterns = [
    path("", page),
    path("api/token/", obtain_auth_token),
    path("api/", include(router.urls)),
]
