"""Notifications: texts, SMTP, meeting invitations, signed webhooks, retry policy."""
