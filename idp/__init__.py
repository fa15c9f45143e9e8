"""idp: a self-hostable mini identity provider that behaves like Logto."""

__version__ = "0.1.0"
