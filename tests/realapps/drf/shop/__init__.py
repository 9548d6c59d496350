"""A tiny Django REST framework shop: items behind TokenAuthentication, and a one-page JS client."""
