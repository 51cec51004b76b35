"""The user's rights over their data (GDPR articles 15, 17 and 20): a copy of it on demand."""
