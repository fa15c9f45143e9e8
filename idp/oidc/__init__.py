"""The OpenID Connect provider: authlib's grants and endpoints wired to idp's storage."""
