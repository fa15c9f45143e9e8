"""Logto's sign-in experience: one implementation behind the Experience API and the hosted pages."""
